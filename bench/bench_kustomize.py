#!/usr/bin/env python3
"""kustomize build of 20 SOPS-encrypted Secrets through our plugin vs a loop of `sops decrypt` over them.

Both sides run in the same process, on the same 20 files, made by the real sops
with a fresh age key. Ours is the whole `kubectl kustomize --enable-alpha-plugins`
(kustomize startup, one plugin process, 20 decryptions, YAML out); theirs is 20
`sops decrypt` processes, i.e. what a KSOPS-less script would do. Target: ratio <= 1.0.

Also printed: the plugin's in-process decryption of the same files with one
thread vs the thread pool, to show what concurrency buys.

    .venv/bin/python bench/bench_kustomize.py [--rounds 7] [--files 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SOPS = BIN / "sops"
KUBECTL = BIN / "kubectl"
SEALER_KUSTOMIZE = BIN / "sealer-kustomize"


def make_fixture(root: Path, count: int) -> dict[str, str]:
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    key_file = root / "keys.txt"
    key_file.write_text(f"{identity}\n")
    app = root / "app"
    app.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root)}
    names = []
    for index in range(count):
        name = f"secret-{index:02d}.enc.yaml"
        plaintext = (
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-{index:02d}\ntype: Opaque\n"
            f"stringData:\n  username: user-{index}\n  password: pw-{index}-{os.urandom(8).hex()}\n"
            f"  url: postgres://db-{index}.internal:5432/app\n"
        )
        result = subprocess.run(
            [
                str(SOPS),
                "encrypt",
                "--age",
                str(identity.to_public()),
                "--unencrypted-regex",
                "^(apiVersion|metadata|kind|type)$",
                "--input-type",
                "yaml",
                "--output-type",
                "yaml",
                "--filename-override",
                name,
                "/dev/stdin",
            ],
            input=plaintext.encode(),
            capture_output=True,
            env=env,
            cwd=root,
            check=True,
        )
        (app / name).write_bytes(result.stdout)
        names.append(name)
    files = "".join(f"  - ./{name}\n" for name in names)
    (app / "generator.yaml").write_text(
        f"apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: bench\nfiles:\n{files}"
    )
    (app / "kustomization.yaml").write_text("generators:\n  - ./generator.yaml\n")
    plugins = root / "plugins"
    plugins.mkdir()
    (root / "tmp").mkdir()
    return {
        "PATH": f"{BIN}{os.pathsep}{env['PATH']}",
        "HOME": str(root),
        "TMPDIR": str(root / "tmp"),
        "KUSTOMIZE_PLUGIN_HOME": str(plugins),
        "SOPS_AGE_KEY_FILE": str(key_file),
    }


def timed(function: object, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-kustomize-") as tmp:
        root = Path(tmp)
        env = make_fixture(root, args.files)
        app = root / "app"
        subprocess.run([str(SEALER_KUSTOMIZE), "install"], env=env, check=True, capture_output=True)
        files = sorted(app.glob("secret-*.enc.yaml"))

        def ours() -> None:
            result = subprocess.run(
                [str(KUBECTL), "kustomize", "--enable-alpha-plugins", str(app)],
                env=env,
                capture_output=True,
                check=False,
            )
            if result.returncode != 0 or result.stdout.count(b"kind: Secret") != args.files:
                raise SystemExit(f"kustomize build failed: {result.stderr.decode()}")

        def theirs() -> None:
            for path in files:
                subprocess.run([str(SOPS), "decrypt", str(path)], env=env, capture_output=True, check=True)

        ours()  # warm caches (page cache, .pyc) for both sides alike
        theirs()
        ours_samples, theirs_samples = [], []
        for _ in range(args.rounds):  # interleave, so machine noise hits both sides alike
            ours_samples += timed(ours, 1)
            theirs_samples += timed(theirs, 1)
        ours_median = statistics.median(ours_samples)
        theirs_median = statistics.median(theirs_samples)

        print(
            f"kustomize build, {args.files} SOPS Secrets via sealer-kustomize: median {ours_median * 1000:.0f} ms "
            f"(min {min(ours_samples) * 1000:.0f}) over {args.rounds} rounds"
        )
        print(
            f"loop of {args.files} x `sops decrypt`:                   median {theirs_median * 1000:.0f} ms "
            f"(min {min(theirs_samples) * 1000:.0f}) over {args.rounds} rounds"
        )
        print(f"ratio (ours / sops loop): {ours_median / theirs_median:.2f}  (target <= 1.0)")

        # In-process: what the thread pool does for the decryption step alone.
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kustomize-plugin"))
        os.environ["SOPS_AGE_KEY_FILE"] = env["SOPS_AGE_KEY_FILE"]
        from sealer_kustomize.decrypting import Decryptor

        written = [f"./{path.name}" for path in files]
        for workers in (1, 20):
            decryptor = Decryptor(base_dir=app, workers=workers)
            decryptor.decrypt_many(written[:1])  # load identities and imports first
            samples = timed(lambda d=decryptor: d.decrypt_many(written), args.rounds)
            print(
                f"in-process decrypt of {args.files} files, {workers:2d} thread(s): "
                f"median {statistics.median(samples) * 1000:.1f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
