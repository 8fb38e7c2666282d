"""The intended workflow: a small YAML spec, validated, turned into a Petri net and BPMN.

An analyst writes the closed loop as the rules intend it, in their own language:
the steps in order, the steps that may be skipped or repeated, alternatives,
parallel steps, the legitimate extra paths (a check fails and the unit handles
again; a unit returns the order and the centre redispatches it), aliases,
deadlines per category in working time, and the order of the levels.
docs/workflow.md describes the format; ``logs/workflow.yaml`` is a full example.

The spec becomes a process tree (sequence, choice, parallel, loop), which pm4py
turns into a sound workflow net: every step can happen and the end is always
reachable. A BPMN 2.0 file from a modeller (bpmn.io, Camunda Modeler) or a PNML
file can stand in for the YAML; XML is checked for entity bombs and external
entities before any parser sees it.

The code lives in one module per part: :mod:`~procmine.workflow.model` (the
data), :mod:`~procmine.workflow.spec` (the YAML spec), :mod:`~procmine.workflow.deadline`,
:mod:`~procmine.workflow.tree` (the process tree and its Petri net),
:mod:`~procmine.workflow.bpmn` (BPMN and PNML), :mod:`~procmine.workflow.read`,
:mod:`~procmine.workflow.states` (reachable markings) and :mod:`~procmine.workflow.check`;
everything public is imported from here. :func:`procmine.render.render_workflow` draws it.

>>> wf = parse_workflow('''
... steps: [上报, 派遣, {step: 核查, optional: true}, 结案]
... exceptions: [退单, 改派]
... paths: ["派遣 -> 退单 -> 改派 -> 派遣"]
... ''')
>>> wf.main, sorted(wf.optional)
(('上报', '派遣', '核查', '结案'), ['核查'])
>>> wf.aliases["派遣"]
'dispatch'
"""

from procmine.workflow.check import WorkflowCheck, check_workflow
from procmine.workflow.deadline import (
    Deadline,
    DeadlineColumnCheck,
    check_deadline_column,
    make_deadline,
    parse_deadline,
    parse_duration,
)
from procmine.workflow.model import ExtraPath, PetriNetModel, Workflow
from procmine.workflow.read import MAX_MODEL_BYTES, read_workflow
from procmine.workflow.spec import MAX_SPEC_BYTES, parse_workflow
from procmine.workflow.states import ReachabilityGraph, reachability
from procmine.workflow.tree import Node

__all__ = [
    "MAX_MODEL_BYTES", "MAX_SPEC_BYTES", "Deadline", "DeadlineColumnCheck", "ExtraPath", "Node",
    "PetriNetModel", "ReachabilityGraph", "Workflow", "WorkflowCheck", "check_workflow",
    "check_deadline_column", "make_deadline", "parse_deadline", "parse_duration", "parse_workflow",
    "reachability", "read_workflow",
]
