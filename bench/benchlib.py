"""What every benchmark records about the run: the commit and the machine it ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def git_head() -> dict[str, str | None]:
    """HEAD's commit read from .git without running git (the working tree may differ)."""
    git = ROOT / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: PATH"
            git = (ROOT / git.read_text().split(":", 1)[1].strip()).resolve()
        common = git
        if (git / "commondir").exists():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return {"commit": head, "branch": None}
        ref = head[5:]
        for base in (git, common):
            if (base / ref).exists():
                return {"commit": (base / ref).read_text().strip(), "branch": ref[11:]}
        packed = common / "packed-refs"
        if packed.exists():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return {"commit": line.split()[0], "branch": ref[11:]}
        return {"commit": None, "branch": ref[11:]}
    except OSError:
        return {"commit": None, "branch": None}


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """Cores usable by this process, memory, platform: what a reader needs to compare runs."""
    memory_mb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mb = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "memory_total_mb": memory_mb,
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
    }
