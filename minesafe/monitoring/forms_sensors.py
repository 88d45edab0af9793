"""Sensor registry forms: shape and scoped choices only. Rules and writes are in ``monitoring.sensors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minesafe.monitoring.choices import SensorKind, SensorLocation
from minesafe.monitoring.models import Sensor
from minesafe.registry.models import Mine

__all__ = ["EDITABLE_FIELDS", "GatewayForm", "SensorForm", "ThresholdsForm"]

# Fields of SensorForm handed to the services (the mine goes separately).
EDITABLE_FIELDS = ("code", "kind", "location", "place", "unit", "range_low", "range_high", "min_duration_s",
                   "repeat_count", "repeat_window_s", "stale_after_s", "feed_sensor", "active")


class SensorForm(forms.Form):
    mine = forms.ModelChoiceField(label=_("mine"), queryset=Mine.objects.none())
    code = forms.CharField(label=_("point code"), max_length=40)
    kind = forms.ChoiceField(label=_("type"), choices=SensorKind.choices)
    location = forms.ChoiceField(label=_("location"), choices=SensorLocation.choices)
    place = forms.CharField(label=_("installed at"), max_length=100, required=False)
    unit = forms.CharField(label=_("unit"), max_length=12, required=False,
                           help_text=_("Leave blank for the usual unit of the type."))
    range_low = forms.FloatField(label=_("range low"), required=False)
    range_high = forms.FloatField(label=_("range high"), required=False,
                                  help_text=_("Leave blank for the range the rule requires."))
    min_duration_s = forms.IntegerField(label=_("alarm after (seconds)"), min_value=0, initial=0)
    repeat_count = forms.IntegerField(label=_("or after this many exceedances"), min_value=0, initial=0)
    repeat_window_s = forms.IntegerField(label=_("within (seconds)"), min_value=0, initial=0)
    stale_after_s = forms.IntegerField(label=_("no data after (seconds)"), min_value=0, initial=120)
    feed_sensor = forms.ModelChoiceField(label=_("linked feed sensor"), queryset=Sensor.objects.none(),
                                         required=False)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, instance: Sensor | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {f: getattr(instance, f) for f in EDITABLE_FIELDS if f != "feed_sensor"}
                              | {"mine": instance.mine_id, "feed_sensor": instance.feed_sensor_id})
        super().__init__(*args, **kwargs)
        mines = Mine.objects.visible_to(user).order_by("name")
        self.fields["mine"].queryset = mines
        feeds = Sensor.objects.visible_to(user).filter(kind=SensorKind.FEED).select_related("mine")
        if instance is not None:
            self.fields["mine"].disabled = True
            self.fields["kind"].disabled = True
            feeds = feeds.filter(mine_id=instance.mine_id).exclude(pk=instance.pk)
        self.fields["feed_sensor"].queryset = feeds.order_by("mine__name", "code")
        self.fields["feed_sensor"].label_from_instance = lambda s: f"{s.mine.name} · {s.code} {s.place}".strip()

    def service_data(self) -> dict[str, Any]:
        """The cleaned values for ``create_sensor`` / ``update_sensor`` (without the mine)."""
        return {f: self.cleaned_data[f] for f in EDITABLE_FIELDS if f in self.cleaned_data}


class ThresholdsForm(forms.Form):
    """Override of a sensor's levels (blank = unset), or a reset to the rule's defaults."""

    alarm_high = forms.FloatField(label=_("upper alarm level"), required=False)
    alarm_low = forms.FloatField(label=_("lower alarm level"), required=False)
    cut_high = forms.FloatField(label=_("power-cut level"), required=False)
    restore_high = forms.FloatField(label=_("power-restore level"), required=False)
    reset = forms.BooleanField(label=_("reset to the rule's defaults"), required=False)
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, sensor: Sensor | None = None, **kwargs: Any) -> None:
        if sensor is not None:
            kwargs.setdefault("initial", {f: getattr(sensor, f) for f in
                                          ("alarm_high", "alarm_low", "cut_high", "restore_high")})
        super().__init__(*args, **kwargs)

    def values(self) -> dict[str, float | None]:
        return {f: self.cleaned_data.get(f) for f in ("alarm_high", "alarm_low", "cut_high", "restore_high")}


class GatewayForm(forms.Form):
    mine = forms.ModelChoiceField(label=_("mine"), queryset=Mine.objects.none())
    name = forms.CharField(label=_("name"), max_length=100)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = Mine.objects.visible_to(user).order_by("name")
