"""BPMN 2.0 and PNML files from a modeller: the XML is checked for DTDs, entity bombs
and external entities before pm4py's parser sees it, the model becomes a Petri
net, and the net a :class:`Workflow` once its end is reachable and every one of
its steps can happen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from procmine.errors import InputError, SpecError
from procmine.vocabulary import role_of
from procmine.workflow.model import PetriNetModel, Workflow
from procmine.workflow.states import check_net_size, reachability


def _safe_xml(data: bytes, path: Path) -> Any:
    """Refuse DTDs and entities (billion laughs, XXE) and malformed XML, before pm4py's lxml;
    the parsed root."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    from procmine.xmlsafe import check_xml_bytes

    try:
        check_xml_bytes(data, str(path))
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except InputError as e:
        raise SpecError(e.message, hint=e.hint) from None
    except DefusedXmlException as e:
        raise SpecError(f"{path}: unsafe XML refused ({type(e).__name__})",
                        hint="remove the <!DOCTYPE ...> block") from None
    except SafeET.ParseError as e:
        raise SpecError(f"{path}: not well-formed XML ({e})") from None


def _check_markings(root: Any, path: Path) -> None:
    """Refuse a place's marking that is not a whole number of tokens (pm4py fails on it with
    Python's own words, or reads a negative one as none)."""
    def name(element: Any) -> str:
        return str(element.tag).rsplit("}", 1)[-1]

    for place in root.iter():
        if name(place) != "place":
            continue
        for marking in (m for m in place if name(m) == "initialMarking"):
            text = next((str(t.text or "").strip() for t in marking if name(t) == "text"), "")
            if not (text.isascii() and text.isdigit()):
                raise SpecError(f"{path}: place {place.get('id', '?')!r}: the initial marking "
                                f"{text!r} is not a number of tokens",
                                hint="write a whole number of tokens, 0 or more: "
                                     "<initialMarking><text>1</text></initialMarking>")


def _read_bpmn(data: bytes, path: Path) -> Workflow:
    import pm4py
    from pm4py.objects.bpmn.importer.variants import lxml as bpmn_importer

    _safe_xml(data, path)
    try:
        bpmn = bpmn_importer.import_from_string(data)
        tasks = [n for n in bpmn.get_nodes() if type(n).__name__.endswith("Task")]
        if not tasks:
            raise SpecError(f"{path}: the BPMN file has no tasks",
                            hint="export the process from the modeller as BPMN 2.0")
        net, im, fm = pm4py.convert_to_petri_net(bpmn)
    except SpecError:
        raise
    except Exception as e:  # pm4py raises bare exceptions on models it cannot convert
        raise SpecError(f"{path}: cannot read the BPMN model ({type(e).__name__}: {e})",
                        hint="check that every task and gateway is connected by sequence flows") from None
    unnamed = [t for t in tasks if not (t.get_name() or "").strip()]
    if unnamed:
        raise SpecError(f"{path}: task {unnamed[0].get_id()!r} has no name",
                        hint="name every task after the step it stands for")
    return _from_net(net, im, fm, path, "bpmn", bpmn=bpmn)


def _read_pnml(data: bytes, path: Path) -> Workflow:
    from pm4py.objects.petri_net.importer.variants import pnml as pnml_importer

    _check_markings(_safe_xml(data, path), path)
    try:
        net, im, fm = pnml_importer.import_net_from_string(data)
    except Exception as e:
        raise SpecError(f"{path}: cannot read the PNML model ({type(e).__name__}: {e})") from None
    if not im:
        raise SpecError(f"{path}: the Petri net has no initial marking",
                        hint="put a token in the start place")
    if not fm:
        from pm4py.objects.petri_net.obj import Marking

        fm = Marking({p: 1 for p in net.places if not p.out_arcs})
        if not fm:
            raise SpecError(f"{path}: the Petri net has no final marking and no sink place")
    return _from_net(net, im, fm, path, "pnml")


def _from_net(net: Any, im: Any, fm: Any, path: Path, fmt: Literal["bpmn", "pnml"],
              bpmn: Any = None) -> Workflow:
    labels = sorted({t.label for t in net.transitions if t.label is not None})
    if not labels:
        raise SpecError(f"{path}: the model has no named steps")
    check_net_size(net, str(path))
    graph = reachability(net, im, limit=200_000)
    if graph is not None:
        if graph.final_index(fm) is None:
            raise SpecError(f"{path}: unreachable end: no run of the model from its start "
                            "reaches its end", hint="check the gateways and arcs near the end")
        fired = {net_label for net_label in graph.fired_labels()}
        dead = [lab for lab in labels if lab not in fired]
        if dead:
            raise SpecError(f"{path}: step {dead[0]!r} can never happen",
                            hint="connect it to the flow or remove it")
        if not graph.can_finish(fm):
            raise SpecError(f"{path}: unreachable end: some runs of the model get stuck "
                            "before its end", hint="check that every branch reaches the end")
    names = {lab: lab for lab in labels}
    roles = {lab: role_of(lab) for lab in labels if role_of(lab)}
    wf = Workflow(name=path.stem, path=str(path), format=fmt, steps=tuple(labels), names=names,
                  aliases=roles)  # type: ignore[arg-type]
    wf._cache["net"] = PetriNetModel(net, im, fm)
    if bpmn is not None:
        wf._cache["bpmn"] = bpmn
    return wf
