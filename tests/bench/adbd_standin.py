"""A stand-in for a phone's adbd: the device side of the adb protocol over TCP on 127.0.0.1.

The real adb client and server talk to it after `adb connect 127.0.0.1:PORT`, exactly as to a phone
in wireless debugging. It speaks what adb needs (protocol.txt and SERVICES.TXT in AOSP's
packages/modules/adb): CNXN / AUTH / OPEN / OKAY / WRTE / CLSE messages; the `shell,v2` service with
separate stdout, stderr and exit code; and the `sync:` service with STAT / LIST / SEND / RECV / QUIT.
Like a real adbd it answers the host's CLSE with its own CLSE (clients hang without it).

Its shell knows the few commands the benchmark sends (getprop, dumpsys SurfaceFlinger, mkdir -p,
chmod, rm -f, rmdir, test -d, pkill) over an in-memory file system where only /data/local/tmp is writable.
Running a pushed, executable file calls `behaviour(argv)`, which returns a Replay: text a real
benchmark_model printed (tests/fixtures/benchmark_model/), an exit code, and optionally a hang.

Modes: "device" (normal), "unauthorized" (answers CNXN with AUTH and never accepts a key),
"offline" (accepts the TCP connection and never answers).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import shlex
import socket
import struct
import threading
import time
from typing import Callable, Optional

A_CNXN, A_AUTH, A_OPEN, A_OKAY, A_CLSE, A_WRTE = (
    struct.unpack("<I", name)[0] for name in (b"CNXN", b"AUTH", b"OPEN", b"OKAY", b"CLSE", b"WRTE")
)
A_VERSION = 0x01000001
MAX_PAYLOAD = 256 * 1024
AUTH_TOKEN = 1
SHELL_STDOUT, SHELL_STDERR, SHELL_EXIT = 1, 2, 3
WRITABLE_ROOT = "/data/local/tmp"


@dataclasses.dataclass
class Replay:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    hang_s: float = 0.0  # keep the command running this long after printing (time-out tests)


DEFAULT_PROPS = {
    "ro.product.manufacturer": "edge-deeplab",
    "ro.product.model": "adbd-standin",
    "ro.product.name": "standin",
    "ro.product.device": "standin",
    "ro.soc.manufacturer": "Stand-in",
    "ro.soc.model": "SI-1",
    "ro.board.platform": "standin",
    "ro.build.version.release": "14",
    "ro.build.version.sdk": "34",
    "ro.product.cpu.abi": "arm64-v8a",
    "ro.product.cpu.abilist": "arm64-v8a,armeabi-v7a,armeabi",
}


class AdbdStandin:
    def __init__(
        self,
        behaviour: Callable[[list], Replay],
        mode: str = "device",
        props: Optional[dict] = None,
        gles: str = "Stand-in, Stand-in GPU, OpenGL ES 3.2",
        fail_push: Optional[str] = None,
    ):
        self.behaviour = behaviour
        self.mode = mode
        self.props = {**DEFAULT_PROPS, **(props or {})}
        self.gles = gles
        self.fail_push = fail_push  # e.g. "No space left on device"
        self.files: dict = {}  # path -> {"data": bytes, "mode": int}
        self.dirs = {"/", "/data", "/data/local", WRITABLE_ROOT, "/system", "/system/bin"}
        self.commands: list = []  # every shell command received, for assertions
        self.lock = threading.Lock()
        self._listener: Optional[socket.socket] = None
        self._connections: list = []
        self._stopped = threading.Event()
        self.port = 0

    # ---- server ----
    def start(self) -> int:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self.port

    def stop(self):
        self._stopped.set()
        if self._listener is not None:
            self._listener.close()
        for connection in list(self._connections):
            connection.close()

    def _accept_loop(self):
        while not self._stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            connection = _Connection(self, sock)
            self._connections.append(connection)
            threading.Thread(target=connection.serve, daemon=True).start()

    # ---- file system ----
    @staticmethod
    def writable(path: str) -> bool:
        return path == WRITABLE_ROOT or path.startswith(WRITABLE_ROOT + "/")

    def mkdirs(self, path: str) -> Optional[str]:
        parts = path.rstrip("/").split("/")
        for i in range(2, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub in self.dirs:
                continue
            if not self.writable(sub):
                return "Read-only file system"
            self.dirs.add(sub)
        return None

    def run_shell(self, command: str) -> Replay:
        self.commands.append(command)
        try:
            argv = shlex.split(command)
        except ValueError:
            return Replay(stderr="/system/bin/sh: syntax error\n", exit_code=2)
        if not argv:
            return Replay()
        name, args = argv[0], argv[1:]
        if name == "getprop":
            if args:
                return Replay(stdout=self.props.get(args[0], "") + "\n")
            return Replay(stdout="".join(f"[{k}]: [{v}]\n" for k, v in sorted(self.props.items())))
        if name == "dumpsys" and args == ["SurfaceFlinger"]:
            return Replay(stdout=f"Build configuration: [sf PRESENT_TIME_OFFSET=0]\n\nGLES: {self.gles}\n")
        if name == "mkdir" and args[:1] == ["-p"]:
            for path in args[1:]:
                error = self.mkdirs(path)
                if error:
                    return Replay(stderr=f"mkdir: '{path}': {error}\n", exit_code=1)
            return Replay()
        if name == "chmod" and len(args) == 2:
            with self.lock:
                if args[1] not in self.files:
                    return Replay(stderr=f"chmod: {args[1]}: No such file or directory\n", exit_code=1)
                self.files[args[1]]["mode"] = int(args[0], 8)
            return Replay()
        if name == "rm" and args[:1] == ["-f"]:
            with self.lock:
                for path in args[1:]:
                    self.files.pop(path, None)
            return Replay()
        if name == "rmdir" and len(args) == 1:
            path = args[0].rstrip("/")
            if any(p.startswith(path + "/") for p in list(self.files) + list(self.dirs)):
                return Replay(stderr=f"rmdir: '{path}': Directory not empty\n", exit_code=1)
            self.dirs.discard(path)
            return Replay()
        if name == "test" and len(args) == 2 and args[0] in ("-d", "-e"):
            path = args[1].rstrip("/") or "/"
            exists = path in self.dirs or (args[0] == "-e" and path in self.files)
            return Replay(exit_code=0 if exists else 1)
        if name == "pkill":
            return Replay(exit_code=1)  # nothing left running: the stand-in ends a command when its stream closes
        if name.startswith("/"):
            node = self.files.get(name)
            if node is None:
                return Replay(stderr=f"/system/bin/sh: {name}: not found\n", exit_code=127)
            if not node["mode"] & 0o111:
                return Replay(stderr=f"/system/bin/sh: {name}: can't execute: Permission denied\n", exit_code=126)
            return self.behaviour(argv) or Replay(stderr="stand-in: no replay for these flags\n", exit_code=1)
        return Replay(stderr=f"/system/bin/sh: {name}: inaccessible or not found\n", exit_code=127)


class _Stream:
    def __init__(self, local_id: int, remote_id: int):
        self.local_id, self.remote_id = local_id, remote_id
        self.ready = threading.Event()  # the host acknowledged our last WRTE
        self.ready.set()
        self.closed = threading.Event()
        self.inbox: "queue.Queue[Optional[bytes]]" = queue.Queue()


class _Connection:
    def __init__(self, device: AdbdStandin, sock: socket.socket):
        self.device, self.sock = device, sock
        self.send_lock = threading.Lock()
        self.streams: dict = {}
        self.next_id = 1
        self.max_payload = 4096

    def close(self):
        for stream in self.streams.values():
            stream.closed.set()
            stream.ready.set()
            stream.inbox.put(None)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    # ---- messages ----
    def _recv_exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("host closed the connection")
            data += chunk
        return data

    def read_message(self):
        command, arg0, arg1, length, _check, _magic = struct.unpack("<6I", self._recv_exact(24))
        return command, arg0, arg1, self._recv_exact(length) if length else b""

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b""):
        header = struct.pack("<6I", command, arg0, arg1, len(data), sum(data) & 0xFFFFFFFF, command ^ 0xFFFFFFFF)
        with self.send_lock:
            self.sock.sendall(header + data)

    def write(self, stream: _Stream, data: bytes) -> bool:
        """WRTE `data` in pieces, each after the host's OKAY for the previous one; False if the stream closed."""
        for start in range(0, len(data), self.max_payload):
            while not stream.ready.wait(0.1):
                if stream.closed.is_set():
                    return False
            if stream.closed.is_set():
                return False
            stream.ready.clear()
            self.send(A_WRTE, stream.local_id, stream.remote_id, data[start : start + self.max_payload])
        return True

    def close_stream(self, stream: _Stream):
        if not stream.closed.is_set():
            stream.closed.set()
            self.send(A_CLSE, stream.local_id, stream.remote_id)

    # ---- the connection ----
    def serve(self):
        try:
            while True:
                command, arg0, arg1, data = self.read_message()
                if command == A_CNXN:
                    self.max_payload = min(arg1, MAX_PAYLOAD) - 64
                    if self.device.mode == "device":
                        banner = ";".join(
                            f"{k}={self.device.props[k]}"
                            for k in ("ro.product.name", "ro.product.model", "ro.product.device")
                        )
                        self.send(
                            A_CNXN,
                            A_VERSION,
                            MAX_PAYLOAD,
                            f"device::{banner};features=shell_v2,cmd,fixed_push_mkdir".encode(),
                        )
                    elif self.device.mode == "unauthorized":
                        self.send(A_AUTH, AUTH_TOKEN, 0, os.urandom(20))
                    # "offline": never answer
                elif command == A_AUTH:
                    if self.device.mode == "unauthorized" and arg0 == 2:  # a signature: refuse, ask again
                        self.send(A_AUTH, AUTH_TOKEN, 0, os.urandom(20))
                    # an RSA public key (arg0 == 3): the user never taps "Allow", so no CNXN
                elif command == A_OPEN:
                    self.open_stream(arg0, data.rstrip(b"\0").decode())
                elif command == A_OKAY:
                    stream = self.streams.get(arg1)
                    if stream is not None:
                        stream.ready.set()
                elif command == A_WRTE:
                    stream = self.streams.get(arg1)
                    if stream is not None:
                        stream.inbox.put(data)
                        self.send(A_OKAY, stream.local_id, stream.remote_id)
                elif command == A_CLSE:
                    stream = self.streams.pop(arg1, None)
                    if stream is not None:
                        self.close_stream(stream)
                        stream.ready.set()
                        stream.inbox.put(None)
        except (ConnectionError, OSError):
            pass
        finally:
            self.close()

    def open_stream(self, remote_id: int, service: str):
        local_id, self.next_id = self.next_id, self.next_id + 1
        stream = _Stream(local_id, remote_id)
        if service.startswith("shell,v2,") or service.startswith("shell:") or service.startswith("shell,"):
            command = service.split(":", 1)[1] if ":" in service else ""
            target = self.shell_v2 if service.startswith("shell,v2") else self.shell_v1
            handler = lambda: target(stream, command)  # noqa: E731
        elif service == "sync:":
            handler = lambda: self.sync(stream)  # noqa: E731
        else:
            self.send(A_CLSE, 0, remote_id)  # unknown service: refuse, as adbd does
            return
        self.streams[local_id] = stream
        self.send(A_OKAY, local_id, remote_id)
        threading.Thread(target=handler, daemon=True).start()

    # ---- shell ----
    def shell_v2(self, stream: _Stream, command: str):
        replay = self.device.run_shell(command)

        def packet(kind, payload: bytes):
            return struct.pack("<BI", kind, len(payload)) + payload

        ok = True
        if replay.stdout:
            ok = self.write(stream, packet(SHELL_STDOUT, replay.stdout.encode()))
        if ok and replay.stderr:
            ok = self.write(stream, packet(SHELL_STDERR, replay.stderr.encode()))
        deadline = time.monotonic() + replay.hang_s
        while ok and time.monotonic() < deadline and not stream.closed.is_set():
            time.sleep(0.05)
        if ok and not stream.closed.is_set():
            self.write(stream, packet(SHELL_EXIT, bytes([replay.exit_code & 0xFF])))
        self.close_stream(stream)

    def shell_v1(self, stream: _Stream, command: str):
        replay = self.device.run_shell(command)
        self.write(stream, (replay.stdout + replay.stderr).encode())
        self.close_stream(stream)

    # ---- sync ----
    def sync(self, stream: _Stream):
        buffer = bytearray()

        def take(size: int) -> Optional[bytes]:
            while len(buffer) < size:
                chunk = stream.inbox.get()
                if chunk is None:
                    return None
                buffer.extend(chunk)
            data = bytes(buffer[:size])
            del buffer[:size]
            return data

        def reply(data: bytes):
            self.write(stream, data)

        while True:
            header = take(8)
            if header is None:
                return
            request, length = header[:4], struct.unpack("<I", header[4:])[0]
            if request == b"QUIT":
                self.close_stream(stream)
                return
            path = take(length).decode()
            if request == b"STAT":
                node = self.device.files.get(path)
                if node is not None:
                    reply(b"STAT" + struct.pack("<3I", 0o100000 | node["mode"], len(node["data"]), int(time.time())))
                elif path.rstrip("/") in self.device.dirs or path == "/":
                    reply(b"STAT" + struct.pack("<3I", 0o040755, 4096, int(time.time())))
                else:
                    reply(b"STAT" + struct.pack("<3I", 0, 0, 0))
            elif request == b"LIST":
                prefix = path.rstrip("/") + "/"
                for name, node in sorted(self.device.files.items()):
                    if name.startswith(prefix) and "/" not in name[len(prefix) :]:
                        entry = name[len(prefix) :].encode()
                        reply(
                            b"DENT"
                            + struct.pack(
                                "<4I", 0o100000 | node["mode"], len(node["data"]), int(time.time()), len(entry)
                            )
                            + entry
                        )
                reply(b"DONE" + bytes(16))
            elif request == b"SEND":
                remote, _, mode = path.rpartition(",")
                data = bytearray()
                while True:
                    chunk_header = take(8)
                    if chunk_header is None:
                        return
                    kind, size = chunk_header[:4], struct.unpack("<I", chunk_header[4:])[0]
                    if kind == b"DATA":
                        data.extend(take(size))
                    elif kind == b"DONE":
                        break
                error = self.device.fail_push or (None if self.device.writable(remote) else "Read-only file system")
                if error is None:
                    error = self.device.mkdirs(remote.rsplit("/", 1)[0])
                if error:
                    message = f"couldn't create file: {error}".encode()
                    reply(b"FAIL" + struct.pack("<I", len(message)) + message)
                else:
                    with self.device.lock:
                        self.device.files[remote] = {"data": bytes(data), "mode": int(mode or "644") & 0o777}
                    reply(b"OKAY" + bytes(4))
            elif request == b"RECV":
                node = self.device.files.get(path)
                if node is None:
                    message = b"No such file or directory"
                    reply(b"FAIL" + struct.pack("<I", len(message)) + message)
                else:
                    for start in range(0, len(node["data"]), 64 * 1024):
                        piece = node["data"][start : start + 64 * 1024]
                        reply(b"DATA" + struct.pack("<I", len(piece)) + piece)
                    reply(b"DONE" + bytes(4))
            else:
                message = f"unknown sync request {request!r}".encode()
                reply(b"FAIL" + struct.pack("<I", len(message)) + message)
                self.close_stream(stream)
                return
