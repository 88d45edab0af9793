"""Choices of the monitoring app; values are those of ``minesafe.rules.monitoring``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SensorKind(models.TextChoices):
    CH4 = "ch4", _("Methane (CH₄)")
    CO = "co", _("Carbon monoxide (CO)")
    O2 = "o2", _("Oxygen (O₂)")
    WIND_SPEED = "wind_speed", _("Wind speed")
    TEMPERATURE = "temperature", _("Temperature")
    SMOKE = "smoke", _("Smoke")
    FEED = "feed", _("Feed (power) status")
    HEADCOUNT = "headcount", _("Underground headcount")
    ELECTRICITY = "electricity", _("Electricity consumption")
    WATER_LEVEL = "water_level", _("Tailings pond water level")
    PHREATIC_LINE = "phreatic_line", _("Phreatic line depth")
    DRY_BEACH = "dry_beach", _("Dry beach length")
    DISPLACEMENT = "displacement", _("Slope displacement rate")


class SensorLocation(models.TextChoices):
    COAL_FACE = "coal_face", _("Coal face (T1)")
    FACE_RETURN = "face_return", _("Coal-face return roadway (T2)")
    FACE_INTAKE = "face_intake", _("Coal-face intake (T3)")
    UPPER_CORNER = "upper_corner", _("Upper corner (T0)")
    SHEARER = "shearer", _("Shearer")
    HEADING_FACE = "heading_face", _("Heading face")
    HEADING_RETURN = "heading_return", _("Heading return")
    PANEL_RETURN = "panel_return", _("Panel return roadway")
    TOTAL_RETURN = "total_return", _("Wing or total return")
    ELECTRIC_LOCO = "electric_loco", _("Battery or diesel locomotive")
    COAL_BUNKER = "coal_bunker", _("Coal bunker or enclosed belt gallery")
    PUMP_ROOM = "pump_room", _("Surface gas-drainage pump room")
    CHAMBER = "chamber", _("Electromechanical chamber")
    MINE = "mine", _("Whole mine")
    DAM = "dam", _("Tailings dam")
    SLOPE = "slope", _("Open-pit slope")
    OTHER = "other", _("Other")


class AlarmKind(models.TextChoices):
    HIGH = "high", _("Above the alarm level")
    LOW = "low", _("Below the alarm level")
    POWER_CUT = "power_cut", _("At the power-cut level")
    GAS_WORK = "gas_work", _("Working with gas over the limit")
    OVER_HEADCOUNT = "over_headcount", _("Headcount above the cap")
    HIDDEN_OPERATION = "hidden_operation", _("Activity while ordered halted")
    STALE = "stale", _("No data")
    COMM_LOSS = "comm_loss", _("Mine communication lost")


class Severity(models.IntegerChoices):
    NOTICE = 1, _("Notice")
    ALARM = 2, _("Alarm")
    CRITICAL = 3, _("Critical")


class FalsificationPattern(models.TextChoices):
    FLAT_LINE = "flat_line", _("Flat line")
    CLIPPED = "clipped", _("Clipped under a threshold")
    LEVEL_SHIFT = "level_shift", _("Sudden level shift")
    REPLAY = "replay", _("Replayed or copied sequence")
    GAS_AIRFLOW = "gas_airflow", _("Methane inconsistent with airflow and production")
    MISSING_CUT = "missing_cut", _("Power cut that never came")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
