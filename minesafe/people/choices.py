"""Choices for people and qualifications. Values equal the codes of ``minesafe.rules.people``."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minesafe.rules.people import Consequence as RuleConsequence
from minesafe.rules.people import Education as RuleEducation
from minesafe.rules.people import EmploymentType as RuleEmploymentType
from minesafe.rules.people import PostKind as RulePostKind
from minesafe.rules.people import Severity as RuleSeverity


class Education(models.TextChoices):
    PRIMARY_OR_BELOW = RuleEducation.primary_or_below.value, _("Primary school or below")
    JUNIOR_HIGH = RuleEducation.junior_high_or_below.value, _("Junior high school")
    HIGH_SCHOOL = RuleEducation.high_school.value, _("High school")
    SECONDARY_VOCATIONAL = RuleEducation.secondary_vocational.value, _("Secondary vocational school")
    COLLEGE = RuleEducation.college.value, _("Junior college")
    BACHELOR = RuleEducation.bachelor.value, _("Bachelor's degree")
    MASTER_OR_ABOVE = RuleEducation.master_or_above.value, _("Postgraduate")


class EmploymentType(models.TextChoices):
    REGULAR = RuleEmploymentType.regular.value, _("Regular employee")
    DISPATCHED = RuleEmploymentType.dispatched.value, _("Dispatched labour")
    FLEXIBLE = RuleEmploymentType.flexible.value, _("Flexible employment")
    INTERN = RuleEmploymentType.intern.value, _("Intern")
    CONTRACTOR = RuleEmploymentType.contractor.value, _("Contractor staff")


class PostKind(models.TextChoices):
    PRINCIPAL = RulePostKind.principal.value, _("Principal")
    ACTUAL_CONTROLLER = RulePostKind.actual_controller.value, _("Actual controller")
    MINE_MANAGER = RulePostKind.mine_manager.value, _("Mine manager")
    CHIEF_ENGINEER = RulePostKind.chief_engineer.value, _("Chief engineer")
    SAFETY_DEPUTY = RulePostKind.safety_deputy.value, _("Deputy manager for safety")
    PRODUCTION_DEPUTY = RulePostKind.production_deputy.value, _("Deputy manager for production")
    ELECTROMECH_DEPUTY = RulePostKind.electromech_deputy.value, _("Deputy manager for electromechanics")
    DEPUTY_CHIEF_ENGINEER = RulePostKind.deputy_chief_engineer.value, _("Deputy chief engineer")
    SECTION_MINING = RulePostKind.section_mining.value, _("Head of the mining section")
    SECTION_DEVELOPMENT = RulePostKind.section_development.value, _("Head of the development section")
    SECTION_ELECTROMECH = RulePostKind.section_electromech.value, _(
        "Head of the electromechanical and transport section")
    SECTION_VENTILATION = RulePostKind.section_ventilation.value, _("Head of the ventilation section")
    SECTION_GEOLOGY_WATER = RulePostKind.section_geology_water.value, _(
        "Head of the survey and water-control section")
    SAFETY_DEPARTMENT_HEAD = RulePostKind.safety_department_head.value, _("Head of the safety department")
    SAFETY_MANAGER = RulePostKind.safety_manager.value, _("Safety manager")
    SPECIAL_OPERATOR = RulePostKind.special_operator.value, _("Special operator")
    CHAIRMAN = RulePostKind.chairman.value, _("Chairman")
    GENERAL_MANAGER = RulePostKind.general_manager.value, _("General manager")
    WORKER = RulePostKind.worker.value, _("Worker")


class TrainingKind(models.TextChoices):
    PRINCIPAL = "principal", pgettext_lazy("training", "Principals")
    SAFETY_MANAGER = "safety_manager", pgettext_lazy("training", "Safety managers")
    SPECIAL_OPERATOR = "special_operator", pgettext_lazy("training", "Special operators")
    ALL_STAFF = "all_staff", pgettext_lazy("training", "All staff")
    DRILL = "drill", _("Emergency escape drill")


class Consequence(models.TextChoices):
    WARNING = RuleConsequence.warning.value, _("Warning")
    VERIFY = RuleConsequence.verify.value, _("Verify")
    RECTIFY = RuleConsequence.rectify.value, _("Order to rectify within a time limit")
    RECTIFY_UP_TO_HALT = RuleConsequence.rectify_up_to_halt.value, _("Order to rectify, up to a production halt")
    REPLACE = RuleConsequence.replace.value, _("Replace immediately")
    HALT_OPERATION = RuleConsequence.halt_operation.value, _("Stop working")
    HALT_PRODUCTION = RuleConsequence.halt_production.value, _("Order to halt production for rectification")


class Severity(models.TextChoices):
    LOW = RuleSeverity.low.value, pgettext_lazy("severity", "Low")
    MEDIUM = RuleSeverity.medium.value, pgettext_lazy("severity", "Medium")
    HIGH = RuleSeverity.high.value, pgettext_lazy("severity", "High")
    CRITICAL = RuleSeverity.critical.value, pgettext_lazy("severity", "Critical")


SEVERITY_COLOURS = {"low": "grey", "medium": "blue", "high": "orange", "critical": "red"}
