"""Benchmark: 50 panel members saving scores at once, on PostgreSQL and on SQLite.

Each simulated member is a thread with its own ``Store`` (its own connection pool), as 50 app
sessions on one server would be; they start together at a barrier and each saves ``--saves``
scores one at a time (``Store.save_score``: one write transaction with its audit row). Every save's
wall time is recorded. Afterwards the scores table is checked against what was saved: a lost or
wrong score counts as lost (must be 0), and the audit log must verify (chain, triggers, records)
against an anchor taken after the saves.

Each backend runs twice: without and with ``COMMISSIONING_AUDIT_KEY`` (every audit row then carries
an HMAC); the report gives what the key costs per save and what anchoring and verifying take.

PostgreSQL: the server named by ``COMMISSIONING_TEST_PG``, else a throwaway cluster started with
``.ci/postgres.sh`` (and stopped). SQLite: a file in a temp dir (WAL, synchronous=FULL).

    .venv/bin/python benchmarks/bench_store.py [--members 50] [--saves 12]

Ends with ``RESULT bench=store ours_s=<p95 save, PostgreSQL, HMAC on> peer_s=<p95 save, SQLite, HMAC
on> ratio=<peer/ours> peak_mb=<peak RSS> lost=<count, all four runs>``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from commissioning.store import open_store  # noqa: E402
from commissioning.store.audit_chain import KEY_ENV  # noqa: E402

RULES = REPO / "tests" / "fixtures" / "scoring" / "rules.yaml"
CRITERIA = ("Q1", "Q2", "SV1")


def start_postgres() -> tuple[str, dict | None]:
    """A server URL, and the cluster's details when this script started it (to stop it)."""
    if os.environ.get("COMMISSIONING_TEST_PG"):
        return os.environ["COMMISSIONING_TEST_PG"], None
    out = subprocess.run(["bash", "-c", "source .ci/postgres.sh && pg_start >/dev/null 2>&1 && "
                          'echo "$COMMISSIONING_TEST_PG|$PG_TEST_DIR|$PG_TEST_OWNER|$PG_TEST_BINDIR"'],
                         cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()
    url, directory, owner, bindir = out.split("|")
    return url, {"PG_TEST_DIR": directory, "PG_TEST_OWNER": owner, "PG_TEST_BINDIR": bindir}


def stop_postgres(cluster: dict | None) -> None:
    if cluster:
        subprocess.run(["bash", "-c", "source .ci/postgres.sh && pg_stop"], cwd=REPO,
                       env={**os.environ, **cluster}, check=False)


def set_up(url: str, members: int, saves: int, tmp: Path) -> tuple[list[str], list[int]]:
    n_bids = -(-saves // len(CRITERIA))
    lines = ["bid_id,organisation,lot,price,submitted_at,gate_safeguarding"]
    lines += [f"C{i:02d},Org {i},L,{100000 + i},2027-06-01T10:00:00,pass" for i in range(n_bids)]
    (tmp / "bids.csv").write_text("\n".join(lines) + "\n")
    store = open_store(url)
    boss = store.create_user("boss", "correct horse battery staple")
    rid = store.import_round_from_csv(boss, "Bench", tmp / "bids.csv", rules=RULES)
    keys = [store.bid_key(rid, f"C{i:02d}") for i in range(n_bids)]
    names = [f"member{j:02d}" for j in range(members)]
    for name in names:
        store.add_member(boss, name)
        store.assign_bids(boss, name, keys)
    store.close()
    return names, keys


def member(url: str, name: str, keys: list[int], saves: int, barrier, times: list, errors: list) -> None:
    store = open_store(url)
    try:
        barrier.wait()
        for i in range(saves):
            key, criterion = keys[i // len(CRITERIA)], CRITERIA[i % len(CRITERIA)]
            start = time.perf_counter()
            store.save_score(name, key, criterion, (i % 5) + 0.5, f"{name} save {i}")
            times.append(time.perf_counter() - start)
    except Exception as exc:   # reported and counted as lost below
        errors.append(f"{name}: {exc!r}")
    finally:
        store.close()


def run(url: str, members: int, saves: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        names, keys = set_up(url, members, saves, Path(tmp))
        barrier, times, errors = threading.Barrier(members), [], []
        threads = [threading.Thread(target=member, args=(url, n, keys, saves, barrier, times, errors))
                   for n in names]
        wall = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall
        engine = create_engine(url if "://" in url else f"sqlite:///{url}")
        with engine.connect() as conn:
            rows = conn.execute(text("select score, comment from scores")).all()
        engine.dispose()
        right = sum(1 for score, comment in rows if score == int(comment.rsplit(" ", 1)[1]) % 5 + 0.5)
        store = open_store(url)
        started = time.perf_counter()
        anchor = store.audit_anchor()
        anchor_s = time.perf_counter() - started
        started = time.perf_counter()
        chain = store.verify_audit(anchor)
        verify_s = time.perf_counter() - started
        store.close()
    return {"p95": statistics.quantiles(times, n=20)[-1], "median": statistics.median(times),
            "wall": wall, "lost": members * saves - right, "errors": errors, "chain": chain,
            "anchor_s": anchor_s, "verify_s": verify_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--saves", type=int, default=12, help="scores each member saves")
    args = parser.parse_args()
    server, cluster = start_postgres()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    results = {}
    try:
        for keyed in (False, True):
            if keyed:
                os.environ[KEY_ENV] = "bench-only key, kept outside the database"
            else:
                os.environ.pop(KEY_ENV, None)
            name = f"bench_{uuid.uuid4().hex[:12]}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                results["PostgreSQL", keyed] = run(make_url(server).set(database=name).render_as_string(
                    hide_password=False), args.members, args.saves)
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            with tempfile.TemporaryDirectory() as tmp:
                results["SQLite", keyed] = run(str(Path(tmp) / "bench.sqlite"), args.members, args.saves)
    finally:
        os.environ.pop(KEY_ENV, None)
        admin.dispose()
        stop_postgres(cluster)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for (label, keyed), r in results.items():
        print(f"{label}, HMAC {'on ' if keyed else 'off'}: {args.members} members x {args.saves} saves, "
              f"wall {r['wall']:.2f} s, save median {r['median'] * 1000:.1f} ms, p95 {r['p95'] * 1000:.1f} ms, "
              f"lost {r['lost']}, audit log {'intact' if r['chain'].intact else 'BROKEN'} ({r['chain'].rows} rows; "
              f"anchor {r['anchor_s'] * 1000:.0f} ms, verify with anchor {r['verify_s'] * 1000:.0f} ms)")
        for error in r["errors"][:5]:
            print(f"  error {error}")
        for problem in r["chain"].problems[:5]:
            print(f"  problem {problem}")
    for label in ("PostgreSQL", "SQLite"):
        off, on = results[label, False], results[label, True]
        print(f"{label}: the HMAC costs {(on['median'] - off['median']) * 1000:+.1f} ms per save (median), "
              f"{(on['p95'] - off['p95']) * 1000:+.1f} ms at p95")
    pg, lite = results["PostgreSQL", True], results["SQLite", True]
    lost = sum(r["lost"] for r in results.values())
    print(f"RESULT bench=store ours_s={pg['p95']:.4f} peer_s={lite['p95']:.4f} "
          f"ratio={lite['p95'] / pg['p95']:.2f} peak_mb={peak_mb:.0f} lost={lost}")
    return 0 if lost == 0 and all(r["chain"].intact for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
