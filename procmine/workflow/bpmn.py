"""BPMN 2.0 and PNML files from a modeller: the XML is checked for DTDs, entity bombs
and external entities before pm4py's parser sees it, the model becomes a Petri
net, and the net a :class:`Workflow` once its end is reachable and every one of
its steps can happen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from procmine.errors import InputError, SpecError
from procmine.limits import MAX_MARKING_TOKENS
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


def _name(element: Any) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def _text(element: Any) -> str:
    return next((str(t.text or "").strip() for t in element if _name(t) == "text"), "")


def _tokens(element: Any) -> int | None:
    """The whole number of tokens in ``element``'s <text> (a marking, an arc's weight), or None."""
    text = _text(element)
    return int(text) if text.isascii() and text.isdigit() else None


def _check_pnml(root: Any, path: Path) -> None:
    """Refuse what pm4py's PNML reader would read wrong without a word: a second net or page
    (it reads the last), ids used twice, arcs that join two places or two transitions or name
    an unknown id (it drops them), and markings or arc weights that are not a whole number
    of tokens up to :data:`~procmine.limits.MAX_MARKING_TOKENS` (it fails in Python's
    words, or ``workflow check`` gives up on billions of states where ``conform`` finds no
    end: both read the net here)."""
    parts = [_name(c) for c in root]
    if parts != ["net"]:
        raise SpecError(f"{path}: <pnml> holds {', '.join(f'<{p}>' for p in parts) or 'nothing'}, "
                        "but procmine reads one <net>",
                        hint="keep one net; put <finalmarkings> inside <net>")
    net = root[0]
    pages = [c for c in net if _name(c) == "page"]
    if len(pages) > 1:
        raise SpecError(f"{path}: the net has {len(pages)} pages, but procmine reads one",
                        hint="put all places, transitions and arcs on one <page>")
    page = pages[0] if pages else net
    kinds = _check_nodes(page, path)
    _check_arcs(page, kinds, path)
    for place in (p for m in net if _name(m) == "finalmarkings" for k in m for p in k):
        if kinds.get(place.get("idref")) != "place":
            raise SpecError(f"{path}: the final marking names {place.get('idref')!r}, no place "
                            "of the net", hint="name a place's id in <place idref=...>")
        tokens = _tokens(place)
        if tokens is None or tokens > MAX_MARKING_TOKENS:
            raise SpecError(f"{path}: place {place.get('idref')!r}: the final marking "
                            f"{_text(place)!r} is not a whole number of tokens from 0 to "
                            f"{MAX_MARKING_TOKENS:,}", hint="a workflow net ends a case with one "
                            "token in its end place")


def _check_nodes(page: Any, path: Path) -> dict[str, str]:
    """Each place's and transition's id, and which it is; their ids unique, the places'
    initial markings whole numbers of tokens within the limit."""
    kinds: dict[str, str] = {}
    for node in (c for c in page if _name(c) in ("place", "transition")):
        node_id = node.get("id")
        if node_id in kinds:
            raise SpecError(f"{path}: the id {node_id!r} is used twice",
                            hint="give every place and transition its own id")
        kinds[node_id] = _name(node)
        for marking in (m for m in node if _name(m) == "initialMarking"):
            tokens = _tokens(marking)
            if tokens is None:
                raise SpecError(f"{path}: place {node_id!r}: the initial marking "
                                f"{_text(marking)!r} is not a number of tokens",
                                hint="write a whole number of tokens, 0 or more: "
                                     "<initialMarking><text>1</text></initialMarking>")
            if tokens > MAX_MARKING_TOKENS:
                raise SpecError(f"{path}: place {node_id!r}: the initial marking {tokens:,} is "
                                f"more than the {MAX_MARKING_TOKENS:,} tokens procmine takes",
                                hint="a workflow net starts a case with one token in its "
                                     "start place")
    return kinds


def _check_arcs(page: Any, kinds: dict[str, str], path: Path) -> None:
    """Every arc joins a place and a transition of the net, with a weight within the limit."""
    for arc in (c for c in page if _name(c) == "arc"):
        arc_id, source, target = arc.get("id", "?"), arc.get("source"), arc.get("target")
        for end in (source, target):
            if end not in kinds:
                raise SpecError(f"{path}: arc {arc_id!r} from {source!r} to {target!r}: "
                                f"{end!r} is the id of no place or transition of the net",
                                hint="point every arc at the id of a place or a transition")
        if kinds[source] == kinds[target]:
            raise SpecError(f"{path}: arc {arc_id!r} joins two "
                            f"{'places' if kinds[source] == 'place' else 'transitions'}, "
                            f"{source!r} and {target!r}",
                            hint="an arc joins a place and a transition")
        for weight in (w for w in arc if _name(w) == "inscription"):
            if not 1 <= (_tokens(weight) or 0) <= MAX_MARKING_TOKENS:
                raise SpecError(f"{path}: arc {arc_id!r}: the weight {_text(weight)!r} is not a "
                                f"whole number of tokens from 1 to {MAX_MARKING_TOKENS:,}",
                                hint="most arcs carry one token: leave out <inscription>")


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

    _check_pnml(_safe_xml(data, path), path)
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
