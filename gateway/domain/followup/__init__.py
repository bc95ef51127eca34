"""Follow-up with reporters: what to ask, how to say it, when to remind, when to stop.

Pure decisions; the store, the channels and the consumers call them.

* ``planner``: ``plan_followup`` -> ``FollowUpPlan`` (rules in ``rules``)
* ``templates``: ``render_request`` -> ``RenderedRequest``; subject tags; language choice
* ``reminders``: ``next_step`` -> ``SendReminder`` / ``Wait`` / ``Exhausted`` / ``Stop``
* ``opt_out``: ``is_opt_out``
* ``delivery``: ``DeliveryState``, ``apply_status``, ``from_twilio``
"""

from __future__ import annotations

from gateway.domain.followup.delivery import DeliveryState, apply_status, from_twilio
from gateway.domain.followup.opt_out import is_opt_out
from gateway.domain.followup.planner import (
    QUESTION_FOR_CRITERION,
    FollowUpPlan,
    plan_followup,
    present_questions,
)
from gateway.domain.followup.questions import Question
from gateway.domain.followup.reminders import (
    DEFAULT_REMINDER_POLICY,
    Exhausted,
    ReminderPolicy,
    SendReminder,
    Step,
    Stop,
    Wait,
    next_step,
)
from gateway.domain.followup.rules import DEFAULT_RULES, PlannerRules, ProductRules
from gateway.domain.followup.templates import (
    DEFAULT_TEMPLATES,
    LanguagePack,
    RenderedRequest,
    Templates,
    case_ref,
    choose_language,
    find_subject_tag,
    find_subject_tags,
    render_request,
    subject_tag,
)

__all__ = [
    "DEFAULT_REMINDER_POLICY",
    "DEFAULT_RULES",
    "DEFAULT_TEMPLATES",
    "QUESTION_FOR_CRITERION",
    "DeliveryState",
    "Exhausted",
    "FollowUpPlan",
    "LanguagePack",
    "PlannerRules",
    "ProductRules",
    "Question",
    "ReminderPolicy",
    "RenderedRequest",
    "SendReminder",
    "Step",
    "Stop",
    "Templates",
    "Wait",
    "apply_status",
    "case_ref",
    "choose_language",
    "find_subject_tag",
    "find_subject_tags",
    "from_twilio",
    "is_opt_out",
    "next_step",
    "plan_followup",
    "present_questions",
    "render_request",
    "subject_tag",
]
