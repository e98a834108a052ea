"""``mvtep sandbox``: a real OVN multi-VTEP node on this machine.

``up`` prints ``export OVS_RUNDIR=...`` on stdout (so ``eval "$(mvtep sandbox
up)"`` works) and its progress on stderr.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from mvtep.cli.options import seconds
from mvtep.cli.runtime import Runtime
from mvcore.errors import ExitStatus, SandboxError, UsageError


__all__ = ["register", "default_dir"]


def default_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"mvtep-sandbox-{os.getuid()}"


def register(sub: Any) -> None:
    from mvtep.sandbox.releases import DEFAULT_RELEASE
    from mvtep.sandbox.topology import FEATURES, Size
    p = sub.add_parser("sandbox", help="run a real OVN multi-VTEP node locally (dummy datapath)")
    ss = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    ss.required = True

    def with_dir(q: argparse.ArgumentParser) -> None:
        q.add_argument("--dir", type=Path, default=None, help=f"run directory (default {default_dir()})")

    u = ss.add_parser("up", help="fetch OVN if needed, start the node, wait until br-int is programmed")
    with_dir(u)
    u.add_argument("--ovn", default=DEFAULT_RELEASE,
                   help="OVN release: 25.03 (trixie), 26.03 (sid), 23.03 (bookworm, no per-port VTEP), "
                        "or host (the installed OVN, >= 24.03)")
    u.add_argument("--ovn-root", type=Path, metavar="PATH",
                   help="run the OVN of this root instead: an unpacked root directory or a tarball of one "
                        "(e.g. a source build)")
    u.add_argument("--encap-ip-default", metavar="IP", help="set Open_vSwitch external_ids:ovn-encap-ip-default")
    u.add_argument("--ipv6", action="store_true", help="IPv6 VTEPs and remote encaps")
    u.add_argument("--interconnect", action="store_true",
                   help="ovn-kubernetes interconnect mode: remote-zone chassis, no Port_Binding.encap")
    u.add_argument("--with", dest="features", action="append", default=[], choices=sorted(FEATURES),
                   metavar="FEATURE", help="add a node feature: " + "; ".join(f"{k}: {v}" for k, v in FEATURES.items()))
    size = Size()
    u.add_argument("--vfs", type=int, default=size.vfs, help="local VF representor ports on br-int")
    u.add_argument("--remote-chassis", type=int, default=size.remote_chassis, help="remote chassis")
    u.add_argument("--remote-ports", type=int, default=size.remote_ports, help="logical ports per remote chassis")
    u.add_argument("--vteps", type=int, default=size.vteps, help="local VTEPs (PFs)")
    u.add_argument("--acls", type=int, default=size.acls,
                   help="extra network-policy ACLs, to scale the flows on br-int (about a dozen flows each)")
    u.add_argument("--wait", type=seconds, default=None,
                   help="seconds to wait for ovn-controller to program br-int (default: 60, plus 0.005 per ACL)")
    u.set_defaults(func=_up)

    d = ss.add_parser("down", help="stop exactly the daemons the sandbox started")
    with_dir(d)
    d.set_defaults(func=_down)

    s = ss.add_parser("status", help="which sandbox daemons run, with their pids")
    with_dir(s)
    s.set_defaults(func=_status)

    f = ss.add_parser("fetch", help="only fetch and unpack an OVN release into the cache")
    f.add_argument("--ovn", default=DEFAULT_RELEASE)
    f.set_defaults(func=_fetch)

    c = ss.add_parser("clean", help="remove the cache of fetched OVN releases (not while a sandbox runs from it)")
    c.set_defaults(func=_clean)

    e = ss.add_parser("exec", help="run one of the sandbox's OVS/OVN programs, e.g. exec ovs-vsctl show")
    with_dir(e)
    e.add_argument("program")
    e.add_argument("args", nargs=argparse.REMAINDER)
    e.set_defaults(func=_exec)


def _dir(args: argparse.Namespace) -> Path:
    path: Path = (args.dir or default_dir()).absolute()
    if path.exists() and not path.is_dir():
        raise UsageError(f"--dir {path} is not a directory", hint="give a directory, or one that does not exist yet")
    return path


def _running_dir(args: argparse.Namespace, rt: Runtime) -> Path:
    """The sandbox to act on: ``--dir``, else the ``OVS_RUNDIR`` that ``sandbox up``
    exported when it holds a sandbox, else the default directory."""
    from mvtep.sandbox.node import STATE_FILE
    if args.dir is None:
        exported = rt.env.get("OVS_RUNDIR")
        if exported and (Path(exported) / STATE_FILE).is_file():
            return Path(exported).absolute()
    return _dir(args)


def _up(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from mvtep.sandbox import node
    from mvtep.sandbox.topology import Shape, Size
    size = Size(vfs=args.vfs, remote_chassis=args.remote_chassis, remote_ports=args.remote_ports,
                vteps=args.vteps, acls=args.acls).check()
    shape = Shape.with_features(tuple(args.features), encap_ip_default=args.encap_ip_default, ipv6=args.ipv6,
                                interconnect=args.interconnect)
    if args.ovn != "host" and args.ovn_root is None:
        _ensure(args.ovn, rt)  # an unknown release is a usage error before anything starts
    what = f"OVN from {args.ovn_root}" if args.ovn_root else f"OVN {args.ovn}"
    with rt.err.status(f"starting {what} sandbox in {_dir(args)}"):
        box = node.up(_dir(args), args.ovn, size, rt.env, timeout=args.wait, shape=shape, root=args.ovn_root)
    rt.say(
        f"sandbox up: {box.ovn_version} in {box.rundir}: {len(box.plan.vteps)} VTEPs, "
        f"{len(box.plan.vfs)} VFs, {box.expected_tunnels} tunnel ports, "
        f"br-int programmed in {box.seconds:.1f} s")
    exports = f"OVS_RUNDIR={box.rundir}" + (f" MVTEP_NETNS={box.netns}" if box.netns else "")
    rt.out.file.write(f"export {exports}\n")
    return ExitStatus.OK


def _down(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from mvtep.sandbox import node
    rundir = _running_dir(args, rt)
    stopped = node.down(rundir)
    rt.say(f"stopped: {', '.join(stopped)}" if stopped else f"nothing running in {rundir}")
    return ExitStatus.OK


def _status(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from mvtep.sandbox import daemons
    alive = daemons.running(_running_dir(args, rt))
    for name in daemons.DAEMONS:
        rt.out.print(f"{name:15} {alive.get(name, 'not running')}", markup=False, highlight=False)
    return ExitStatus.OK if len(alive) == len(daemons.DAEMONS) else ExitStatus.PROBLEMS


def _ensure(name: str, rt: Runtime) -> Path:
    """Fetch release ``name`` unless cached, showing the download; its root."""
    from mvtep.cli.fetch_progress import fetch_progress
    from mvtep.sandbox.packages import ensure_release
    from mvtep.sandbox.releases import lookup
    release = lookup(name)
    with fetch_progress(rt, f"OVN {release.name}") as progress:
        return ensure_release(release, rt.env, progress=progress).root


def _fetch(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    rt.say(f"OVN {args.ovn} ready in {_ensure(args.ovn, rt)}")
    return ExitStatus.OK


def _clean(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from rich.filesize import decimal
    from mvtep.sandbox.cache import remove
    where, size = remove(rt.env)
    rt.say(f"removed {where} ({decimal(size)})" if size else f"no release cache in {where}")
    return ExitStatus.OK


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:  # a real-time signal has no name
        return f"signal {number}"


def _exec(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from mvtep.sandbox import node
    tools, env, _ = node.attach(_running_dir(args, rt), rt.env)
    argv = tools.argv(args.program, *args.args)
    try:
        code = subprocess.run(argv, env=env, check=False).returncode
    except OSError as e:
        raise SandboxError(f"cannot run {args.program}: {e.strerror}") from e
    if code < 0:  # killed by signal -code (subprocess's convention)
        if -code == signal.SIGINT:
            return ExitStatus.INTERRUPTED
        raise SandboxError(f"{args.program} was killed by {_signal_name(-code)}")
    return ExitStatus(min(code, 2))
