"""Backends: the registry of built-in adapters and the loader for out-of-tree ones.

A backend is found by name (the built-ins below), by module path (`--backend-module pkg.mod`, or the
DLSPEC_BACKEND_MODULE environment variable), or through the `dlspec.backends` entry-point group.
Importing this package imports no framework: an adapter module is imported only when its backend is used.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util

from .interface import Backend, BackendError, Unsupported, from_module

__all__ = ["BUILTIN", "Backend", "BackendError", "Unsupported", "entry_point_names", "installed", "load",
           "load_module"]

BUILTIN: dict[str, tuple[str, tuple[str, ...]]] = {
    # name: (adapter module, packages it needs importable)
    "spec": ("dlspec.impls.spec_", ()),
    "numpy": ("dlspec.impls.numpy_", ()),
    "torch:functional": ("dlspec.impls.torch_functional", ("torch",)),
    "torch:nn": ("dlspec.impls.torch_nn", ("torch",)),
    "torch:distributions": ("dlspec.impls.torch_distributions", ("torch",)),
    "jax:nn": ("dlspec.impls.jax_nn", ("jax",)),
    "jax:lax": ("dlspec.impls.jax_lax", ("jax",)),
    "jax:flax": ("dlspec.impls.jax_flax", ("jax", "flax")),
    "jax:optax": ("dlspec.impls.jax_optax", ("jax", "optax")),
    "tensorflow:nn": ("dlspec.impls.tf_nn", ("tensorflow",)),
    "tensorflow:fused_batch_norm": ("dlspec.impls.tf_fused", ("tensorflow",)),
    "tensorflow:keras": ("dlspec.impls.tf_keras", ("tensorflow", "keras")),
}


def _missing(requires: tuple[str, ...]) -> list[str]:
    return [pkg for pkg in requires if importlib.util.find_spec(pkg) is None]


def installed() -> list[str]:
    """Built-in backends whose frameworks are importable here (checked without importing them)."""
    return [name for name, (_, requires) in BUILTIN.items() if not _missing(requires)]


def not_installed() -> dict[str, list[str]]:
    """Built-in backends that cannot load here, with the packages they lack."""
    return {name: m for name, (_, requires) in BUILTIN.items() if (m := _missing(requires))}


def _ops_table() -> dict:
    from ..spec import OPS

    return OPS


def load_module(path: str) -> Backend:
    """Import `path` (e.g. 'their_pkg.dlspec_backend') and validate it as a backend."""
    try:
        module = importlib.import_module(path)
    except Exception as e:  # a broken third-party module can raise anything at import
        raise BackendError(f"backend module {path!r} does not import: {type(e).__name__}: {e}") from e
    return from_module(module, path, _ops_table())


def load(name: str) -> Backend:
    """Load a built-in backend by name, a mutant ('mutant:<name>'), or an entry-point backend by its name."""
    if name.startswith("mutant:"):
        from ..mutants import all_mutants, as_backend_module

        try:
            return from_module(as_backend_module(name.split(":", 1)[1]), name, _ops_table())
        except KeyError:
            raise BackendError(f"unknown mutant {name!r}; known: {', '.join(sorted(all_mutants()))}") from None
    if name in BUILTIN:
        module, requires = BUILTIN[name]
        missing = _missing(requires)
        if missing:
            raise BackendError(
                f"backend {name!r} needs {', '.join(missing)}, which is not installed here "
                f"(pip install 'dlspec[{requires[0]}]')"
            )
        return load_module(module)
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="dlspec.backends")}
    if name in eps:
        try:
            obj = eps[name].load()
        except Exception as e:
            where = f"entry point {name!r} ({eps[name].value})"
            raise BackendError(f"{where} does not load: {type(e).__name__}: {e}") from e
        return from_module(obj, f"entry point {name} = {eps[name].value}", _ops_table())
    known = sorted(BUILTIN) + sorted(eps)
    raise BackendError(f"unknown backend {name!r}; known backends: {', '.join(known)}")


def entry_point_names() -> list[str]:
    """Names registered by installed packages under the `dlspec.backends` entry-point group."""
    return sorted(ep.name for ep in importlib.metadata.entry_points(group="dlspec.backends"))
