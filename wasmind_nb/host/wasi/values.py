"""Host values in and out of dynamically typed host functions, and the table behind wasi resources.

Host functions here return *canonical* values: every variant, option and result is a ``Variant``
(``Variant("some", x)``, ``Variant("none")``, ``Variant("ok", x)``), every resource a plain Python object.
:func:`fit` turns one into what wasmtime-py expects for the declared type (an untagged variant as its bare
payload, a new resource as an owned handle), so the functions need not know wasmtime-py's rules.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from wasmtime.component import (
    BorrowType,
    ListType,
    OptionType,
    OwnType,
    Record,
    RecordType,
    ResourceHost,
    ResourceType,
    ResultType,
    TupleType,
    Variant,
    VariantType,
)

from wasmind_nb.host import context


class ObjectTable:
    """The Python object behind each wasi resource handle, keyed by rep (one table for every type:
    a guest's handle table already keeps the types apart)."""

    def __init__(self) -> None:
        self._items: dict[int, Any] = {}
        self._owners: dict[int, set[int]] = {}
        self._owner_of: dict[int, int] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, value: Any) -> int:
        """Keep ``value``; it belongs to the calling guest's store and goes when that store goes."""
        owner = _current_store()
        with self._lock:
            rep = next(self._ids)
            self._items[rep] = value
            if owner is not None:
                self._owners.setdefault(owner, set()).add(rep)
                self._owner_of[rep] = owner
            return rep

    def drop_owner(self, owner: int) -> None:
        """Forget every object of the store ``owner`` (``id`` of the store), for a store that is gone:
        wasmtime runs no destructors for the handles it still held."""
        with self._lock:
            reps = self._owners.pop(owner, set())
            for rep in reps:
                self._items.pop(rep, None)
                self._owner_of.pop(rep, None)

    def _remove(self, rep: int) -> Any:
        owner = self._owner_of.pop(rep, None)
        if owner is not None:
            self._owners.get(owner, set()).discard(rep)
        return self._items.pop(rep, None)

    def get(self, rep: int) -> Any:
        with self._lock:
            return self._items[rep]

    def take(self, rep: int) -> Any:
        """Remove and return the object of ``rep`` (an owned handle the guest gave the host)."""
        with self._lock:
            if rep not in self._items:
                raise KeyError(rep)
            return self._remove(rep)

    def pop(self, rep: int) -> Any:
        """Remove ``rep`` (the guest dropped its handle) and close its object if it has ``close``."""
        with self._lock:
            value = self._remove(rep)
        close = getattr(value, "close", None)
        if close is not None:
            close()
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class ResourceIds:
    """A host resource type id for each distinct resource type of a component's imports.

    ``wasi:http/types.input-stream`` and ``wasi:io/streams.input-stream`` are one type (``use``): equal
    import types get one id, so the linker's definitions agree as the component expects."""

    def __init__(self, first: int) -> None:
        self._known: list[tuple[ResourceType, int]] = []
        self._next = first

    def id_of(self, ty: ResourceType) -> int:
        for known, rid in self._known:
            if known == ty:
                return rid
        rid = self._next
        self._next += 1
        self._known.append((ty, rid))
        return rid


def _current_store() -> int | None:
    try:
        return id(context.current().store)
    except RuntimeError:
        return None


def fit(value: Any, ty: Any, table: ObjectTable, ids: ResourceIds) -> Any:
    """``value`` (canonical, see the module) in wasmtime-py's representation of ``ty``."""
    if isinstance(ty, OwnType):
        if isinstance(value, ResourceHost):
            return value
        return ResourceHost.own(table.add(value), ids.id_of(ty.ty))
    if isinstance(ty, OptionType | ResultType | VariantType):
        return _fit_variant(value, ty, table, ids)
    if isinstance(ty, ListType):
        if isinstance(value, bytes | bytearray):
            return value
        return [fit(item, ty.element, table, ids) for item in value]
    if isinstance(ty, TupleType):
        return tuple(fit(item, t, table, ids) for item, t in zip(value, ty.elements, strict=True))
    if isinstance(ty, RecordType):
        rec = Record()
        for name, field_ty in ty.fields:
            setattr(rec, name, fit(getattr(value, name.replace("-", "_")), field_ty, table, ids))
        return rec
    return value


def _fit_variant(value: Any, ty: Any, table: ObjectTable, ids: ResourceIds) -> Any:
    if not isinstance(value, Variant):
        raise TypeError(f"expected a Variant for {type(ty).__name__}, got {value!r}")
    cases = dict(ty._cases())
    if value.tag not in cases:
        raise ValueError(f"no case {value.tag!r} in {sorted(cases)}")
    case_ty = cases[value.tag]
    payload = None if case_ty is None else fit(value.payload, case_ty, table, ids)
    if ty._tagged():
        return Variant(value.tag, payload)
    return payload


def obj(store: Any, handle: Any, table: ObjectTable) -> Any:
    """The object behind a borrowed or owned handle argument."""
    return table.get(rep_of(store, handle))


def rep_of(store: Any, handle: Any) -> int:
    return handle.to_host(store).rep if hasattr(handle, "to_host") else handle.rep


def wrap(
    func: Callable[..., Any], params: list[tuple[str, Any]], result: Any, table: ObjectTable, ids: ResourceIds
) -> Callable[..., Any]:
    """A host function for wasmtime: resource arguments become their objects (an owned one leaves the
    table: the host now holds it), lists of them lists of objects; the result is :func:`fit`."""
    kinds = [_arg_kind(ty) for _, ty in params]

    def call(store: Any, *args: Any) -> Any:
        values = []
        for kind, arg in zip(kinds, args, strict=True):
            if kind == "borrow":
                values.append(obj(store, arg, table))
            elif kind == "own":
                values.append(table.take(rep_of(store, arg)))
            elif kind == "borrows":
                values.append([obj(store, item, table) for item in arg])
            else:
                values.append(arg)
        out = func(*values)
        return None if result is None else fit(out, result, table, ids)

    return call


def _arg_kind(ty: Any) -> str:
    if isinstance(ty, BorrowType):
        return "borrow"
    if isinstance(ty, OwnType):
        return "own"
    if isinstance(ty, ListType) and isinstance(ty.element, BorrowType):
        return "borrows"
    return "plain"
