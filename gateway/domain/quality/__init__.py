"""The quality check of one case version: an automated checklist a person then signs off.

Each check gives one ``CheckItem`` (id, severity, result, message, the element paths it
is about). ``BLOCKING`` failures stop the sign-off unless the signer gives an override
reason; ``WARNING`` failures are shown and recorded, nothing more.

Checks (ids are stored; keep them stable):

* ``minimum_criteria``            the four criteria of a valid ICSR
* ``completeness.*``              what the case's seriousness requires: a serious case
  needs outcome, onset, dose and route of the suspect drugs, the narrative and the
  company's causality (blocking); a non-serious case gets warnings for the same gaps
* ``meddra.coded``                every reaction carries an LLT
* ``meddra.known_current``        the LLT exists in the loaded dictionary and is current
* ``meddra.version``              the term's version is the loaded dictionary's
* ``meddra.verbatim``             the verbatim codes to the same LLT (a warning otherwise)
* ``dates.not_future``            no date after now
* ``dates.order``                 end >= start (reactions, dosages), C.1.5 >= C.1.4, birth
  before onset
* ``dates.onset_after_drug``      onset not before the suspect drug's first start (warning)
* ``identifiers.*``               C.1.1 format ``CC-ORG-number``, C.1.1 and C.1.8.1 unchanged
  from the previous version and the same as the ones the submissions carry, references
* ``consistency.fatal``           a fatal outcome carries the death criterion
* ``deadline``                    the case's submissions: an overdue one is blocking (the
  reason for the late submission must be documented: the override reason does that);
  one due within the at-risk window is a warning

Dates are compared by their spans (``PartialDate.compare``): "2024" is not after
"2024-03-05"; only a date wholly after another counts as after it.

One module per check family (``criteria``, ``meddra``, ``dates``, ``identifiers``,
``consistency``, ``deadline``), the items and report in ``items``, what the checks are
given in ``context``, and the runner in ``checklist``.
"""

from gateway.domain.quality.checklist import run_checklist
from gateway.domain.quality.context import QualityContext, SubmissionClock
from gateway.domain.quality.items import CheckItem, CheckResult, QualityReport, Severity

__all__ = [
    "CheckItem",
    "CheckResult",
    "QualityContext",
    "QualityReport",
    "Severity",
    "SubmissionClock",
    "run_checklist",
]
