"""The exercise service: the one API the console and the command line use to run an exercise.

Every call names its ``Caller`` (from ``sign_in`` or ``Caller.operator``), is checked in
``exercises.access`` and either appends to the journal or reads a view of it. A refused call
raises ``AccessDenied``; bad input raises ``ExerciseInputError``; either way nothing is written
(the transaction is rolled back).

The service is cut by role, one module each: ``setup`` (exercises and access codes), ``control``
(clock and injects), ``branching`` (run again, branch from a moment), ``templates`` (the template library), ``play`` (what agencies do), ``evaluation`` (observations, the improvement
plan) and ``reading`` (every view), over ``store`` (the database, the write protocol and this
process's caches). ``ExerciseService`` combines them: callers use this one class.
"""

from __future__ import annotations

from exercises.service.branching import Branching
from exercises.service.control import Control
from exercises.service.details import Details
from exercises.service.evaluation import Evaluation
from exercises.service.play import Play
from exercises.service.reading import AgencyBrief, Briefing, ExerciseState, Reading
from exercises.service.setup import AccessCode, CreatedExercise, normalise_code
from exercises.service.store import Advance, ExerciseCannotContinue, live_advance
from exercises.service.templates import TemplateInfo, Templates, TemplateSetUp

__all__ = [
    "AccessCode",
    "Advance",
    "AgencyBrief",
    "Briefing",
    "CreatedExercise",
    "ExerciseCannotContinue",
    "ExerciseService",
    "ExerciseState",
    "TemplateInfo",
    "TemplateSetUp",
    "live_advance",
    "normalise_code",
]


class ExerciseService(Branching, Templates, Control, Play, Evaluation, Reading, Details):
    """One per process and database (the console keeps it in ``st.cache_resource``)."""
