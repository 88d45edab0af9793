"""Choices for the mine registry. Values equal the codes used by ``minesafe.rules``."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sector(models.TextChoices):
    """Industry sector. Table-driven in rules.mine_attributes so 工贸/危化 can be added later."""

    COAL = "coal", _("Coal mine")
    METAL_UNDERGROUND = "metal_underground", _("Metal/non-metal underground mine")
    METAL_OPEN_PIT = "metal_open_pit", _("Metal/non-metal open-pit mine")
    TAILINGS = "tailings", _("Tailings pond")


class MineStatus(models.TextChoices):
    CONSTRUCTION = "construction", _("Under construction")
    PRODUCTION = "production", _("Producing")
    RECTIFICATION = "rectification", _("Halted for rectification")
    SUSPENDED = "suspended", _("Long-term suspended")
    CLOSED = "closed", _("Closed")


MINE_STATUS_COLOURS = {
    MineStatus.CONSTRUCTION: "blue",
    MineStatus.PRODUCTION: "green",
    MineStatus.RECTIFICATION: "orange",
    MineStatus.SUSPENDED: "grey",
    MineStatus.CLOSED: "black",
}


class Scale(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", pgettext_lazy("scale", "Medium")
    SMALL = "small", _("Small")


class GasGrade(models.TextChoices):
    LOW = "low", _("Low-gas")
    HIGH = "high", _("High-gas")
    OUTBURST = "outburst", _("Outburst-prone")


class Hydrogeology(models.TextChoices):
    SIMPLE = "simple", _("Simple")
    MEDIUM = "medium", pgettext_lazy("hydrogeology", "Medium")
    COMPLEX = "complex", _("Complex")
    VERY_COMPLEX = "very_complex", _("Very complex")


class SpontaneousCombustion(models.TextChoices):
    EASY = "easy", _("Easily self-igniting")
    PRONE = "prone", _("Self-igniting")
    NOT_PRONE = "not_prone", _("Not prone to self-ignition")


class StandardizationGrade(models.TextChoices):
    GRADE1 = "grade1", _("Grade 1")
    GRADE2 = "grade2", _("Grade 2")
    GRADE3 = "grade3", _("Grade 3")
    NONE = "none", _("Not up to standard")


class TailingsGrade(models.IntegerChoices):
    G1 = 1, _("Class 1")
    G2 = 2, _("Class 2")
    G3 = 3, _("Class 3")
    G4 = 4, _("Class 4")
    G5 = 5, _("Class 5")
