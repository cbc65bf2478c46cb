"""R3.retry-no-jitter: retries that wait the same time in every client.

## What it does
Reports retries whose wait has no random component. They are:

- a retry loop (a loop around `try`/`except` that sleeps in the handler, or that sleeps
  after the attempt when the `try` leaves the loop on success (also inside the `try`, after the test that leaves on
  success, `if resp.status_code == 200: break` then `time.sleep(5)`), or before it under a test of the attempt count,
  `if attempt: time.sleep(2 ** attempt)`, or `if delay:` for a delay computed from the count; a `try` under an `if` of the loop counts too) whose `sleep()` (or a name bound to it, `_sleep = asyncio.sleep`, or a clock's or sleeper's, `await self._clock.sleep(0.5)`) delay is a constant or a
  deterministic backoff (`2 ** attempt`), also a delay a decorator factory takes (`def retry(times=3, delay=2)`);
  a loop with no `except` counts when its header counts attempts (`for attempt in range(retries)`,
  `for _ in range(3)`, `while tries < n`) and it leaves on a result (`if code == OK: break`);
- a loop with no `except` that waits and goes round when the service answers it is overloaded
  (`if resp.status_code == 429: time.sleep(5); continue`, also 502/503/504, `>= 500`), and leaves on another
  answer (a wait the server names, `Retry-After`, is not reported);
- a bounded retry loop that tries again at once, with no wait at all: a `try` that leaves the loop on
  success, a handler that counts the attempt (`tries_left -= 1`, or a header `for attempt in range(3)`)
  and lets the loop go round (`continue`), no sleep in the loop (not for failures retried at once by
  design: a unique-key collision, `IntegrityError`, a new random key drawn in the `try`, `room_id = self._generate_room_id()`,
  a lost compare-and-set whose handler re-raises every other error, `ConditionalCheckFailedException`, bad input, a lost race on a local file,
  `FileNotFoundError`/`FileExistsError`/`BlockingIOError`, an unusable answer, a model's invalid or empty reply or
  generated code's `SyntaxError`; nor a loop that waits for a state before each attempt,
  `await wait_for_navigation_settle(frame)`; nor a loop that waits through a helper named for it,
  `backoff(failures=attempt)`, a project function whose body sleeps or a library's whose wait is not seen; nor a handler that opens a new session before going round,
  `self.initialize_hsm()`, `self.reconnect()`, outside a `try` of its own: a failed re-opening raises out of
  the loop, so it only tries again once the service took the new session, and a stale handle was retried);
- a retry written as recursion: a fixed sleep (also under a test, `if isinstance(exc, RateLimited): time.sleep(backoff)`),
  then `return [await] self.<same function>(...)` (a retry decorator's `return wrapper(*args, **kwargs)`; or the call
  as a statement that hands on a changed attempt count, `await self.reload(event_id, retries - 1)`), after
  a failure (in an `except` handler, passing on an attempt count, or under a test of one or of a status
  code; a function calling itself again while a job is not done, `if not reply["jobComplete"]:`, polls)
  (not in a function named for restarting a crashed background task: `run_and_restart`); or with no
  wait at all: an `except` handler that calls the function again at once with a changed attempt count
  (`return self.send(event, retries=retries - 1)`; a call again with a flag, `retry=False`, counts
  nothing: one more try after refreshing a token);
- a retry spread over two functions: one the module calls again with its attempt count raised
  (`self.start(try_n + 1)`, from itself or a helper) that sleeps under a test of that count before the
  attempt (`if try_n > 0: await asyncio.sleep(try_n * 10)`) (not a page number: `page + 1` paces a fetch);
- a retry that puts the failed work back on a queue with the attempt count raised after a fixed sleep in the
  same block (`await asyncio.sleep(1); await self.queue.put((tries + 1, message))` after a failed send);
- a retry scheduled on the event loop with the attempt count raised, after a delay with no random part:
  Twisted's `reactor.callLater(math.pow(2, attempt), self._notify, assoc, attempt + 1)`, asyncio's
  `loop.call_later(5, self.send, item, retries + 1)`; also a timer whose delay its object grows after each failure
  with no random part: an attribute the class multiplies, `self.clock.call_later(self.backoff, self.process)` with
  `self.backoff = min(self.backoff * 2, MAX)`, or a base raised to an attribute it counts up, `2 ** self.level`
  with `self.level += 1`;
- a failed run queued again from an `except` handler with the attempt count raised, for a time with no random
  part: `deliver.delay(delay_until=now() + timedelta(seconds=3 ** attempt), args=(url, attempt + 1))` (also
  `eta=`, `countdown=`; a task queued for a time of its own, `delay_until=item.live_from`, is no retry);
- docket `Retry(attempts=5, delay=timedelta(seconds=0.5))` and `Retry.forever(delay=...)` (a fixed delay;
  not with two attempts at most, nor with no delay);
- tenacity `@retry`/`Retrying` with `wait=wait_fixed/wait_exponential/...` and no
  `wait_random*`/`wait_exponential_jitter`/`wait_random_exponential` part, or with no
  wait at all;
- backoff `on_exception`/`on_predicate` given `jitter=None`;
- retrying `@retry(wait_fixed=...)`/`wait_exponential_multiplier` without
  `wait_jitter_max` or `wait_random_*`;
- the retry package's (and its retry2 fork's) `@retry(tries=3, delay=0.1, backoff=2)` and `retry_call(f, ...,
  delay=2)` with a delay and no `jitter` range: its jitter defaults to 0 and a number adds a fixed wait; only a
  `(min, max)` range is random (not with two tries at most: one retry);
- urllib3 `Retry(backoff_factor=...)` without `backoff_jitter` (low confidence: the backoff is
  exponential, only the jitter is missing, and it matters only for many clients), Celery tasks
  (decorator keywords or `Task` subclass attributes) with `autoretry_for` and `retry_backoff` but
  `retry_jitter=False`, or with `autoretry_for` and no `retry_backoff` (every retry waits the same
  `retry_kwargs` countdown, `default_retry_delay` or Celery's 180 s; `retry_backoff` alone is
  jittered by default; not when it retries only on a missing row, `autoretry_for=(Post.DoesNotExist,)`:
  the task waits for the commit of the row it was queued for, no dependency is failing), kombu/Celery `retry_policy` dicts (`publish(..., retry=True,
  retry_policy={"max_retries": 5})`: kombu's intervals have no random part), and manual retries of
  bound Celery tasks (`self.retry(exc=exc, countdown=5)` in a method of a `Task` subclass or in a function
  decorated with `bind=True`, whatever its first parameter is called:
  `task.retry(countdown=DELAYS[task.request.retries])`, or in a method of a `Task` subclass, also through a base
  class of its file; also `celery.current_task.retry(countdown=10)`; also a helper handed the task whose countdown reads
  its `request.retries`, `task.retry(countdown=2 ** task.request.retries)`; also a task calling
  `retry` on its own name, `send_hook.retry(exc=exc, countdown=10)` inside `send_hook`,
  or `self.retry(exc=exc)` with no countdown, which waits the fixed `default_retry_delay`) whose
  countdown has no random part (not a single retry, `max_retries=1`: no second synchronised
  wave; nor a task that only a periodic schedule starts, `add_periodic_task(crontab(hour=6), reindex)`
  and never `reindex.delay()`: one run at a time), and tasks that retry by queueing themselves again with an attempt count (`send_hook.apply_async(..., kwargs={"retry_num": n + 1}, countdown=10)` inside
  `send_hook`; re-queued with no attempt count, a task polls or reschedules: not reported).

Not reported: sleeps whose delay comes from `random`, a `jitter` value or a helper that
uses `random`; `asyncio.sleep(0)`; loops that only poll (no retry on failure; a sleep at
the top of the loop, before the first attempt, paces a poll; a loop with no `except` that leaves
on a plain truth test, `if record_found: break` (or such tests joined, `if settled and not challenged: break`;
also a job's flag or state, `if report["allFinished"]: break`, `if status == "done":`, `"report" in info`, or
`if state in ["RUNNING", "PENDING"]: continue`), waits for a state such as a DNS record's
propagation or a remote job's end; so does one that raises on a failed answer, `response.raise_for_status()`
outside any `try`: a failure leaves the loop, the rounds wait for an answer not ready yet; a sleep in `except queue.Empty:` waits for work; a `try` that calls a health or readiness
endpoint, `client.get(f"{url}/health")`, waits for a process to come up); a `for` loop over items whose `try`
does not leave the loop on success (`for email in queue: try: send(email) except: sleep(0.25)`: the next round
handles the next item, nothing is tried again; so does a loop over the indexes of `range()`, `for page_num in
range(max_pages)`, whose handler falls through to the rest of the round: a fallback); a loop whose `try` uses
the next item, `for offer in offers:` or `offer = next(offers, None)` (a failover to another target); a loop that runs at most twice,
`for _ in range(2)`, `range(MAX_ATTEMPTS)` with `MAX_ATTEMPTS = 2`, `range(attempts)` after `attempts = 2 if
retry else 1`, `while retries < 2` counting up from 0 (one more try); a loop whose `try` only reads a local file,
`int(port_file.read_text())` (it waits for another process to write it), or only moves, removes or locks local
files, `shutil.move(src, dst)` while Windows holds a handle, `fcntl.flock(fd, LOCK_EX | LOCK_NB)` (it waits for a
local process, no remote service sees its rounds); a sleep in `except queue.Full:` (the process's own queue
pushes back); a retry loop in a function called only right after starting a process
(`asyncio.to_thread(self._spawn); await self._connect_with_retry()`, the spawn a `subprocess.Popen`: it waits for
that process to come up); a handler for exception classes the project defines but never raises,
subclasses nor uses outside `except` clauses (`except DatastoreLockedException:`: it never runs); a retry by
recursion under a test of a count that never gets above its bound, `if self.retries > 0:` with `retries = 0` in
the class and only ever counted down, or a parameter whose default and every call keep it there (`retries=0`, never
passed, or passed on as `retries - 1`): that branch never runs; a loop whose `try` only calls methods of its own class that touch nothing
but the object (`self.refill(); self.take_token()`: a local token bucket, no remote call) or that waits on a
rate limiter before each attempt (`self._throttler.wait_until_ready()`: the limiter paces it); a loop whose `try`
only acts on the page of a browser the process drives, in a Playwright module (`await locator.wait_for(state="attached")`,
`page.evaluate(js)`: its own DOM settling, no remote service; `page.goto` loads a remote site and counts); a loop with
no `except` that leaves when a value is there, `if report is not None: return report` (a poll); a watcher, a
`while` on a lifetime flag or event (`while self._monitoring.is_set():`) whose handlers all leave it
(`except Exception: break`): it goes round only after a good reading; a retry loop around
`create_engine()` alone (lazy: it connects nothing, the handler never runs); a retry loop inside `with lock:`
on a module-global `threading.Lock()` (the process's threads retry one at a time, never in step); a start-up wait (a retry
loop, or a retry decorator, on `init`/`init_*`/`setup_*`/`wait_for_*` that only an application factory,
`create_app`, or the `main()` of a pre-start script run by its `__main__` block, or that block itself, calls: one
wait per process start); test code, scripts, CLIs and
Django management commands (but a module that defines Celery tasks is the workers' code, even when it
imports a command-line library for a helper). The product's own commands are judged like the service: a
package's `__main__.py` and the modules of a scripts folder that is a subpackage of the
product's package (`app/scripts/restore.py`) run on every host; but not its command-line interface
(a `cli`/`commands` folder, click or Flask CLI commands): an operator types those, one process.

Nor is a `while` loop that runs its `try` again whether it failed or not: one that never
leaves on success (no `return`/`break` of the loop outside its handlers, nothing in its
test set by the body, no test reading state that what it calls can set: `while not
self._session` is a retry, `while self.running` or `while ws.connected` a lifetime), as a listener that
reopens a stream or socket and consumes it, or a worker that takes the next job and pauses after an
error; nor one whose `try` yields each event of an inner loop (a generator listener); nor
a retry decorator on a function that is one endless `while True:` listener. Such a loop
keeps one connection or one worker per process: its synchronised retries number the
processes, not the requests, and no dependency falls over from that (the pacing of the
reconnects is another matter).

## Why is this bad?
When a dependency fails, every client fails at the same moment. With the same fixed or
exponential schedule they all retry at the same moments too, so the recovering service
is hit by synchronised waves of traffic (a thundering herd) and may fall over again.
Jitter spreads the retries out (Backend Posture R3: "jittered retries").

## Example
```python
for attempt in range(5):
    try:
        return fetch_quote(symbol)
    except requests.ConnectionError:
        time.sleep(2 ** attempt)

@retry(wait=wait_exponential(multiplier=1, max=30), stop=stop_after_attempt(5))
def fetch_rates(): ...
```

## Use instead
```python
for attempt in range(5):
    try:
        return fetch_quote(symbol)
    except requests.ConnectionError:
        time.sleep(random.uniform(0, 2 ** attempt))  # full jitter

@retry(wait=wait_random_exponential(multiplier=1, max=30), stop=stop_after_attempt(5))
def fetch_rates(): ...
```

## References
- AWS Architecture Blog, "Exponential Backoff And Jitter"
- tenacity: https://tenacity.readthedocs.io/en/latest/#waiting-before-retrying
"""

from __future__ import annotations

import ast
import re
from itertools import takewhile
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs.db import resolve_function
from audit_lib.operator_code import defines_worker_tasks, is_celery_task, is_offline_file, is_shipped_command
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    call_name,
    dotted,
    enclosing_function,
    in_main_block,
    is_none,
    keyword,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.rules.r3_resilience._common import (
    is_test_file,
    module_constant,
    only_builds_engine,
    operator_command_line,
    periodic_only_tasks,
)
from audit_lib.source import Project, SourceModule

SLEEPS = {"time.sleep", "asyncio.sleep", "gevent.sleep", "trio.sleep", "anyio.sleep", "eventlet.sleep"}
PROCESS_LOCKS = {"threading.Lock", "threading.RLock"}
RANDOM_MODULES = ("random", "secrets", "numpy.random")
TENACITY_RETRY = {"tenacity.retry", "tenacity.Retrying", "tenacity.AsyncRetrying", "tenacity.asyncio.AsyncRetrying"}
TENACITY_RANDOM_WAITS = {"wait_random", "wait_random_exponential", "wait_exponential_jitter", "wait_full_jitter"}
BACKOFF_DECORATORS = {"backoff.on_exception", "backoff.on_predicate"}
RETRYING_DETERMINISTIC = {"wait_fixed", "wait_exponential_multiplier", "wait_exponential_max", "wait_incrementing_start",
                          "wait_incrementing_increment"}
RETRYING_RANDOM = {"wait_random_min", "wait_random_max", "wait_jitter_max"}
FIXED_FUNCTIONS = {"getattr", "min", "max", "float", "int", "round", "abs", "pow", "range", "len", "math.pow", "math.exp",
                   "math.ceil", "math.floor"}
SUPERVISOR_NAME = re.compile(r"(?i)restart|supervis|forever|keep_?alive")
ATTEMPT_NAME = re.compile(r"(?i)attempt|retr|tries|tried|try_?(count|num|n\b)")
TRY_COUNT = re.compile(r"(?i)(^|_)try(_?n|_?num|_?count)?$")  # try_n, try_count, try
# flags that keep a loop going for the life of the process: running, alive, stopped, shutting_down, closed, ...
CONNECTED_FLAG = re.compile(r"(?i)connected$|is_open$|opened$|listening$")
LIFETIME_FLAG = re.compile(r"(?i)run|alive|stop|shut|exit|quit|clos|cancel|terminat|active|enabled|serving")
WATCH_FLAG = re.compile(f"{LIFETIME_FLAG.pattern}|monitor|watch")
CELERY_TASK_OPTIONS = {"autoretry_for", "retry_backoff", "retry_jitter", "retry_kwargs", "bind", "acks_late"}
DOCKET_RETRY = {"docket.Retry", "docket.dependencies.Retry"}
URLLIB3_RETRY = {"urllib3.Retry", "urllib3.util.Retry", "urllib3.util.retry.Retry", "requests.packages.urllib3.util.retry.Retry",
                 "requests.adapters.Retry"}


@rule("R3.retry-no-jitter", on="module", scope="code", severity="medium")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if is_test_file(module) or is_offline_file(module, project) and not defines_worker_tasks(module) \
            and (not is_shipped_command(module, project) or operator_command_line(module)):
        return  # one process retrying alone cannot stampede a dependency
    if not any(hint in module.text for hint in ("sleep", "backoff", "callLater", "call_later")) \
            and not RETRY_HINT.search(module.text):
        return
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Call):
            problem = _library_problem(module, node) or _retry_package_problem(module, project, node) \
                or _task_retry_problem(module, project, node) \
                or _requeue_retry_problem(module, node) or _retry_policy_problem(module, project, node) \
                or _call_later_retry_problem(module, node) or _scheduled_retry_problem(module, node)
            if problem and not _decorates_start_up_wait(module, project, node):
                message, fix, confidence = problem
                yield _finding(module, node, message, fix, confidence)
        elif isinstance(node, FUNCTION_TYPES):
            for sleeps, what, fix, confidence in (
                    (_recursive_retry_sleeps, "retry by recursion sleeps {delay}",
                     "randomise the delay: sleep(random.uniform(0, base * 2 ** retries)) (full jitter)", Confidence.high),
                    (_reentry_retry_sleeps, f"retry by calling {node.name}() again with the attempt count raised sleeps {{delay}}",
                     "randomise the delay: sleep(random.uniform(0, base * 2 ** attempt)) (full jitter)", Confidence.high),
                    (_requeue_retry_sleeps, "retry re-queues the failed work after sleeping {delay}",
                     "randomise the delay: sleep(random.uniform(0, base * 2 ** tries)) (full jitter)", Confidence.medium)):
                for sleep in sleeps(module, node):
                    if _never_taken(module, project, sleep):
                        continue
                    delay = ast.unparse(sleep.args[0]) if sleep.args else "a fixed time"
                    yield _finding(module, sleep, what.format(delay=delay) + " with no jitter", fix, confidence)
            for again in _recursive_immediate_retries(module, node):
                if _never_taken(module, project, again):
                    continue
                yield _finding(
                    module, again,
                    "retry by recursion tries again at once: no wait, no jitter",
                    "wait before calling again, with jitter: sleep(random.uniform(0, base * 2 ** retries)), "
                    "or use tenacity wait_random_exponential",
                    Confidence.medium,
                )
        elif isinstance(node, ast.ClassDef):
            problem = _celery_task_class_problem(node)
            if problem:
                statement = next(n for n in node.body if isinstance(n, (ast.Assign, ast.AnnAssign)) and any(
                    isinstance(t, ast.Name) and t.id == "autoretry_for"
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target])))
                yield _finding(module, statement, *problem)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            if _start_up_wait(module, project, node):
                continue
            sleep = _retry_sleep(module, project, node)
            immediate = _immediate_retry(module, project, node) if sleep is None else None
            if (sleep or immediate) and _waits_for_started_process(module, enclosing_function(module, node)):
                continue
            if immediate is not None:
                yield _finding(
                    module, immediate,
                    "retry loop tries again at once: no wait, no jitter",
                    "wait before the next attempt, with jitter: sleep(random.uniform(0, base * 2 ** attempt)), "
                    "or use tenacity wait_random_exponential",
                    Confidence.medium,
                )
            if sleep is not None:
                yield _finding(
                    module, sleep,
                    f"retry loop sleeps {ast.unparse(sleep.args[0]) if sleep.args else 'a fixed time'} with no jitter",
                    "randomise the delay: sleep(random.uniform(0, base * 2 ** attempt)) (full jitter), "
                    "or use tenacity wait_random_exponential",
                    Confidence.high,
                )


def _finding(module: SourceModule, node: ast.AST, message: str, fix: str, confidence: Confidence) -> Finding:
    return Finding(message=message, path=module.path, line=node.lineno, end_line=getattr(node, "end_lineno", node.lineno),
                   evidence=module.evidence(node), fix=fix, confidence=confidence)


# --- retry libraries ------------------------------------------------------------------


def _library_problem(module: SourceModule, call: ast.Call) -> tuple[str, str, Confidence] | None:
    name = call_name(module, call) or ""
    if name in TENACITY_RETRY:
        return _tenacity_problem(module, call, name)
    if name in BACKOFF_DECORATORS:
        jitter = keyword(call, "jitter")
        if jitter is not None and is_none(jitter):
            return (f"{name}(..., jitter=None) retries on a deterministic schedule",
                    "drop jitter=None: backoff's default full_jitter spreads the retries", Confidence.high)
        return None
    if name == "retrying.retry" or name == "retrying.Retrying":
        used = {kw.arg for kw in call.keywords}
        if used & RETRYING_DETERMINISTIC and not used & RETRYING_RANDOM:
            return (f"{name}() waits a fixed or exponential time with no random part",
                    "add wait_jitter_max=1000 (milliseconds), or move to tenacity with wait_random_exponential",
                    Confidence.high)
        return None
    if name in DOCKET_RETRY or name.removesuffix(".forever") in DOCKET_RETRY:
        return _docket_retry_problem(call, forever=name.endswith(".forever"))
    if name in URLLIB3_RETRY:
        factor = keyword(call, "backoff_factor")
        if factor is not None and not _is_zero(factor) and keyword(call, "backoff_jitter") is None:
            return ("urllib3 Retry backs off exponentially but with no jitter (no backoff_jitter): clients that "
                    "failed together retry together",
                    "pass backoff_jitter=0.5 (urllib3 >= 2.0) so clients do not retry in lockstep", Confidence.low)
        return None
    if name.rsplit(".", 1)[-1] in ("task", "shared_task") \
            and (module.imports_module("celery") or any(kw.arg in CELERY_TASK_OPTIONS for kw in call.keywords)):
        if keyword(call, "base") is not None and keyword(call, "retry_backoff") is None:
            return None  # the base class may set the backoff
        return _celery_autoretry_problem({kw.arg: kw.value for kw in call.keywords if kw.arg})
    return None


# the retry package (invl/retry, and its retry2 fork): retry(exceptions, tries, delay, max_delay, backoff, jitter, ...)
# and retry_call(f, fargs, fkwargs, exceptions, tries, delay, ...) -> index of ``tries``
RETRY_PACKAGE = {"retry.retry": 1, "retry.api.retry": 1, "retry.retry_call": 4, "retry.api.retry_call": 4}


def _retry_package_problem(module: SourceModule, project: Project, call: ast.Call) -> tuple[str, str, Confidence] | None:
    """The retry package's ``@retry(tries=3, delay=0.1, backoff=2)`` (or ``retry_call(f, ..., delay=2)``): it waits
    ``delay * backoff ** n`` plus ``jitter``, which defaults to 0 and is random only as a ``(min, max)`` range.
    Not with no delay, nor with two tries at most (one retry: no second synchronised wave)."""
    name = call_name(module, call) or ""
    if name not in RETRY_PACKAGE or project.by_dotted_name.get("retry") is not None \
            or any(isinstance(a, ast.Starred) for a in call.args) or any(kw.arg is None for kw in call.keywords):
        return None  # a project module named retry, or options handed in

    def argument(name: str, offset: int) -> ast.expr | None:
        at = RETRY_PACKAGE[call_name(module, call)] + offset
        return keyword(call, name) or (call.args[at] if len(call.args) > at else None)

    tries, delay, jitter = argument("tries", 0), argument("delay", 1), argument("jitter", 4)
    if delay is None or _is_zero(delay) or isinstance(tries, ast.Constant) and isinstance(tries.value, int) \
            and 0 <= tries.value <= 2 or jitter is not None and not isinstance(jitter, ast.Constant):
        return None  # a range (min, max) is random; a name may be one
    fixed = f", a fixed jitter={ast.unparse(jitter)}" if jitter is not None and not _is_zero(jitter) else ""
    return (f"{name.rsplit('.', 1)[-1]}(..., delay={ast.unparse(delay)}) of the retry package waits on a fixed schedule "
            f"with no random part (jitter defaults to 0{fixed})",
            "pass jitter=(0, 1): a (min, max) range adds a random wait (a number adds a fixed one)", Confidence.high)


def _docket_retry_problem(call: ast.Call, forever: bool) -> tuple[str, str, Confidence] | None:
    """docket's ``Retry(attempts=5, delay=timedelta(seconds=0.5))`` (a task parameter's default) or
    ``Retry.forever(delay=...)``: every failed run comes back after the same delay, in every worker. Not with
    no delay, nor with two attempts at most (one retry: no second synchronised wave)."""
    delay = keyword(call, "delay") or (call.args[0] if forever and call.args else call.args[1] if len(call.args) > 1 else None)
    attempts = None if forever else keyword(call, "attempts") or (call.args[0] if call.args else None)
    if delay is None or _is_zero(delay) or isinstance(delay, ast.Call) and all(_is_zero(a) for a in delay.args) \
            and not delay.keywords or not forever and (attempts is None or _at_most_one_retry({"max_retries": attempts}, 2)):
        return None
    return (f"docket Retry{'.forever' if forever else ''}() waits the fixed delay={ast.unparse(delay)} between attempts: "
            "runs that failed together run again together",
            "give the delay a random part: reschedule the retry yourself with delay=timedelta(seconds=random.uniform(0, "
            "base * 2 ** attempt)), or keep the attempts few", Confidence.medium)


def _celery_autoretry_problem(options: dict[str, ast.expr]) -> tuple[str, str, Confidence] | None:
    """A Celery task's automatic retries (decorator keywords or ``Task`` class attributes): ``autoretry_for``
    with ``retry_backoff`` but ``retry_jitter=False``, or with no ``retry_backoff`` at all, when every retry
    waits the same ``countdown`` (``retry_kwargs``), the task's ``default_retry_delay`` or Celery's 180 s.
    (``retry_backoff`` alone is jittered: Celery's ``retry_jitter`` defaults to True.)"""
    if "autoretry_for" not in options or _at_most_one_retry(options) or _waits_for_row(options["autoretry_for"]):
        return None
    backoff, jitter = options.get("retry_backoff"), options.get("retry_jitter")
    if backoff is not None and not _is_false(backoff):
        if _is_false(jitter):
            return ("Celery task retries with backoff but retry_jitter=False",
                    "drop retry_jitter=False: Celery jitters the backoff by default", Confidence.high)
        return None
    countdown = _dict_value(options.get("retry_kwargs"), "countdown") or options.get("default_retry_delay")
    delay = f"countdown={ast.unparse(countdown)}" if countdown is not None else "Celery's default_retry_delay (180 s)"
    return (f"Celery task autoretries (autoretry_for) with no backoff: every retry waits {delay}, with no jitter",
            "add retry_backoff=True (exponential, jittered by default: retry_jitter=True) and retry_backoff_max",
            Confidence.high)


ROW_MISSING = {"DoesNotExist", "ObjectDoesNotExist", "NoResultFound"}


def _waits_for_row(exceptions: ast.expr) -> bool:
    """``autoretry_for=(Post.DoesNotExist,)``: the task only retries while the row it was queued for is not
    there yet (queued before the transaction that writes it commits); its retries wait for that commit, in the
    one worker that took the task, not for a failing dependency all workers hit at once."""
    names = [dotted(e) or "" for e in getattr(exceptions, "elts", [exceptions])]
    return bool(names) and all(name.rsplit(".", 1)[-1] in ROW_MISSING for name in names)


def _at_most_one_retry(options: dict[str, ast.expr], one_retry: int = 1) -> bool:
    """Whether the ``max_retries`` limit (or a count of attempts that makes ``one_retry`` one retry) allows a
    single retry at most."""
    limit = options.get("max_retries") or _dict_value(options.get("retry_kwargs"), "max_retries")
    return isinstance(limit, ast.Constant) and isinstance(limit.value, int) and limit.value <= one_retry


def _dict_value(mapping: ast.expr | None, key: str) -> ast.expr | None:
    """The value of ``key`` in a dict literal (``{"countdown": 5}``) or ``dict(countdown=5)``."""
    if isinstance(mapping, ast.Dict):
        return next((v for k, v in zip(mapping.keys, mapping.values) if k is not None and string_value(k) == key), None)
    if isinstance(mapping, ast.Call) and dotted(mapping.func) == "dict":
        return keyword(mapping, key)
    return None


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, 0, None) and node.value is not True


def _celery_task_class_problem(cls: ast.ClassDef) -> tuple[str, str, Confidence] | None:
    """A ``Task`` subclass whose class attributes set ``autoretry_for`` (``class _Retrying(Task):
    autoretry_for = (Exception,)``): judged like the decorator's keywords."""
    if not any((dotted(b) or "").rsplit(".", 1)[-1] == "Task" for b in cls.bases):
        return None
    return _celery_autoretry_problem(_class_options(cls))


def _retry_policy_problem(module: SourceModule, project: Project, call: ast.Call) -> tuple[str, str, Confidence] | None:
    """``producer.publish(..., retry=True, retry_policy={...})`` (kombu, Celery's ``apply_async``): kombu waits
    ``interval_start``, then ``interval_step`` more each time, up to ``interval_max``, the same in every
    process: no jitter. Not with one retry at most (``max_retries`` 0 or 1)."""
    policy = keyword(call, "retry_policy")
    if isinstance(policy, ast.Name):
        policy = module_constant(module, policy.id, project)
    if not isinstance(policy, ast.Dict) or _at_most_one_retry({"max_retries": _dict_value(policy, "max_retries")}):
        return None
    return ("kombu retry_policy retries at fixed intervals (interval_start + n * interval_step): publishers that "
            "failed together retry together",
            "kombu has no jitter option: keep its retries few and short, and retry the publish in the caller with "
            "jitter (tenacity wait_random_exponential)", Confidence.medium)


def _task_retry_problem(module: SourceModule, project: Project, call: ast.Call) -> tuple[str, str, Confidence] | None:
    """``self.retry(exc=exc, countdown=5)`` in a bound Celery task (a function decorated with ``bind=True``,
    the task bound to its first parameter, ``self`` or any name: ``task.retry(countdown=delay)``), or a task
    retrying through its own name (``send_hook.retry(countdown=10)`` inside ``send_hook``): a manual retry waits exactly ``countdown`` seconds, so the
    tasks that failed together run again together (Celery jitters only ``retry_backoff`` autoretries)."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "retry" and isinstance(call.func.value, ast.Name)):
        return None
    countdown = keyword(call, "countdown")
    fn = enclosing_function(module, call)
    if countdown is not None and _is_zero(countdown) or keyword(call, "eta") is not None or fn is None \
            or call.func.value.id not in (_bound_task(module, fn), _task_name(module, fn)) \
            and not _reads_task_request(countdown, call.func.value.id) \
            and qualified(module, call.func.value) != "celery.current_task" or _single_retry(module, call, fn) \
            or fn.name in periodic_only_tasks(project):
        return None
    if countdown is None:
        delay = _task_option(module, fn, "default_retry_delay")
        waits = f"default_retry_delay={ast.unparse(delay)}" if delay is not None else "Celery's default_retry_delay (180 s)"
        return (f"task retry (no countdown) waits the fixed {waits} with no jitter",
                "pass a randomised countdown: countdown=random.uniform(0, base * 2 ** self.request.retries), or use "
                "autoretry_for with retry_backoff (jittered by default)", Confidence.high)
    if _randomness(module, countdown, fn, set()) != "fixed":
        return None
    return (f"task retry waits countdown={ast.unparse(countdown)} with no jitter",
            "randomise the countdown: countdown=random.uniform(0, base * 2 ** self.request.retries), or use "
            "autoretry_for with retry_backoff (jittered by default)", Confidence.high)


def _reads_task_request(countdown: ast.expr | None, name: str) -> bool:
    """A countdown computed from ``<name>.request.retries``: ``name`` is a Celery task handed to a helper
    (``task.retry(countdown=2 ** task.request.retries)`` in a context manager the tasks enter)."""
    return countdown is not None and any(
        isinstance(n, ast.Attribute) and n.attr == "retries" and isinstance(n.value, ast.Attribute)
        and n.value.attr == "request" and isinstance(n.value.value, ast.Name) and n.value.value.id == name
        for n in ast.walk(countdown))


def _task_name(module: SourceModule, fn: ast.AST) -> str | None:
    """The module-level name of a Celery task function (``send_hook.retry(countdown=10)`` inside ``send_hook``)."""
    return fn.name if is_celery_task(module, fn) and module.parents.get(fn) is module.tree else None


def _single_retry(module: SourceModule, call: ast.Call, fn: ast.AST) -> bool:
    """``self.retry(exc=e, countdown=5, max_retries=1)`` (or ``max_retries=1`` on the task): one more run at
    most, no second synchronised wave."""
    return _at_most_one_retry({"max_retries": keyword(call, "max_retries") or _task_option(module, fn, "max_retries")})


def _task_option(module: SourceModule, fn: ast.AST, name: str) -> ast.expr | None:
    """The value a task's decorator gives ``name`` (``@app.task(bind=True, default_retry_delay=30)``), or the
    class attribute of a class-based task (``class SyncTask(Task): max_retries = 5``)."""
    decorated = next((keyword(d, name) for d in fn.decorator_list if isinstance(d, ast.Call)
                      and keyword(d, name) is not None), None)
    cls = _task_class(module, fn) if decorated is None else None
    return _class_options(cls).get(name) if cls is not None else decorated


def _task_class(module: SourceModule, fn: ast.AST) -> ast.ClassDef | None:
    """The Celery ``Task`` subclass whose method ``fn`` is (``class SyncTask(Task): def run(self, item_id)``)."""
    cls = module.parents.get(fn)
    return cls if isinstance(cls, ast.ClassDef) and _is_task_class(module, cls) else None


def _is_task_class(module: SourceModule, cls: ast.ClassDef, depth: int = 3) -> bool:
    """A subclass of Celery's ``Task``, directly or through base classes of the same file
    (``class SyncTask(BaseTask)`` with ``class BaseTask(Task): abstract = True``)."""
    if any((dotted(b) or "").rsplit(".", 1)[-1] == "Task" and (qualified(module, b) or "").startswith("celery")
           for b in cls.bases):
        return True
    local = {c.name: c for c in module.tree.body if isinstance(c, ast.ClassDef)}
    return depth > 0 and any(isinstance(b, ast.Name) and b.id in local and local[b.id] is not cls
                             and _is_task_class(module, local[b.id], depth - 1) for b in cls.bases)


def _class_options(cls: ast.ClassDef) -> dict[str, ast.expr]:
    """A class's attributes and the values its body assigns them."""
    options = {t.id: n.value for n in cls.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    options.update({n.target.id: n.value for n in cls.body if isinstance(n, ast.AnnAssign)
                    and isinstance(n.target, ast.Name) and n.value is not None})
    return options


def _requeue_retry_problem(module: SourceModule, call: ast.Call) -> tuple[str, str, Confidence] | None:
    """A task that retries by queueing itself again, counting the attempt
    (``send_hook.apply_async(args, kwargs={"retry_num": n + 1}, countdown=10)`` inside ``send_hook``):
    the runs that failed together come back together, like ``self.retry(countdown=10)``. (A task
    re-queued with no attempt count polls or reschedules: not a retry.)"""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "apply_async"
            and isinstance(call.func.value, ast.Name)):
        return None
    fn = enclosing_function(module, call)
    countdown = keyword(call, "countdown")
    if fn is None or fn.name != call.func.value.id or not fn.decorator_list or countdown is None or _is_zero(countdown):
        return None
    if not _passes_attempt_count(call) or _randomness(module, countdown, fn, set()) != "fixed":
        return None
    return (f"task re-queues itself as a retry with countdown={ast.unparse(countdown)} and no jitter",
            "randomise the countdown: countdown=random.uniform(0, base * 2 ** attempt), or use "
            "autoretry_for with retry_backoff (jittered by default)", Confidence.high)


def _call_later_retry_problem(module: SourceModule, call: ast.Call) -> tuple[str, str, Confidence] | None:
    """A retry scheduled on the event loop with the attempt count raised (Twisted's
    ``reactor.callLater(math.pow(2, attempt), self._notify, assoc, attempt + 1)``, asyncio's
    ``loop.call_later(5, self.send, item, retries + 1)``) after a delay with no random part: the calls that failed
    together are scheduled again together."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in ("callLater", "call_later") and call.args):
        return None
    handed_on = [*call.args[1:], *(kw.value for kw in call.keywords)]
    delay = call.args[0]
    fn = enclosing_function(module, call)
    if any(isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub)) and any(
            isinstance(m, ast.Name) and ATTEMPT_NAME.search(m.id) for m in (n.left, n.right))
           for value in handed_on for n in ast.walk(value)):
        if _is_zero(delay) or _randomness(module, delay, fn, set()) != "fixed":
            return None
        return (f"retry scheduled with {call.func.attr}({ast.unparse(delay)}, ...) and the attempt count raised: "
                "no jitter", "randomise the delay: callLater(random.uniform(0, base * 2 ** attempt), ...) (full jitter)",
                Confidence.high)
    if fn is None or not _backs_off_geometrically(module, fn, call) or _randomness(module, delay, fn, set()) == "random":
        return None
    return (f"retry scheduled with {call.func.attr}({ast.unparse(delay)}, ...), a delay the object doubles (or raises "
            "to a power) after each failure: no jitter",
            "randomise the delay: call_later(random.uniform(0, backoff), ...) (full jitter)", Confidence.high)


def _backs_off_geometrically(module: SourceModule, fn: ast.AST, call: ast.Call) -> bool:
    """The delay of a timer reads an attribute its class multiplies (``self.backoff = min(self.backoff * 2, MAX)``,
    ``self.delay *= 2``) or raises a base to one the class counts up (``2 ** self.level`` with ``self.level += 1``),
    directly or through a local of the function: a backoff that grows after each failure."""
    cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    if cls is None:
        return False
    multiplied, counted = set(), set()
    for node in walk_nodes(cls):
        if isinstance(node, ast.AugAssign) and dotted(node.target):
            (multiplied if isinstance(node.op, ast.Mult) else counted if isinstance(node.op, ast.Add) else set()).add(
                dotted(node.target))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and (dotted(node.targets[0]) or "").startswith("self."):
            name = dotted(node.targets[0])
            if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and name in (dotted(n.left), dotted(n.right))
                   for n in walk_nodes(node.value)):
                multiplied.add(name)
    delay = call.args[0]
    locals_read = {n.id for n in walk_nodes(delay) if isinstance(n, ast.Name)}
    values = [delay, *(n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                       and any(isinstance(t, ast.Name) and t.id in locals_read for t in n.targets))]
    return any(isinstance(n, ast.Attribute) and dotted(n) in multiplied
               or isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) and dotted(n.right) in counted
               for value in values for n in walk_nodes(value))


SCHEDULED_AT = ("delay_until", "eta", "countdown")  # a task queue's keywords for when a queued task runs
# The file pre-filter: a retry word, an attempt counter (max_retries, attempt, tries_left, try_count), a loop of
# attempts (for _ in range(3)), or a task queue's scheduling keyword (eta=; the bare word is in "metadata").
RETRY_HINT = re.compile(r"(?i)attempt|retr(y|ies|ied|ying)|(?<![a-z])(tries|tried|try_?(count|num|n)\b)"
                        r"|\bfor\s+_\w*\s+in\s+range\(" rf"|\b({'|'.join(SCHEDULED_AT)})\s*=")
CLOCK_FUNCTIONS = frozenset({"now", "utcnow", "time", "timedelta", "Duration"})


def _scheduled_retry_problem(module: SourceModule, call: ast.Call) -> tuple[str, str, Confidence] | None:
    """A failed run queued again from an ``except`` handler with the attempt count raised, for a time with no
    random part (``deliver.delay(delay_until=now() + timedelta(seconds=3 ** attempt), args=(url, attempt + 1))``):
    the runs that failed together are queued for the same moment."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in ("delay", "apply_async")):
        return None
    when = next((kw for kw in call.keywords if kw.arg in SCHEDULED_AT), None)
    fn = enclosing_function(module, call)
    if when is None or fn is None or is_none(when.value) or _is_zero(when.value) or not _raises_attempt_count(call) \
            or not any(isinstance(a, ast.ExceptHandler) for a in takewhile(lambda a: a is not fn, ancestors(module, call))):
        return None
    for node in walk_nodes(when.value):
        verdict = _call_randomness(module, node) if isinstance(node, ast.Call) else None
        if verdict == "random" or verdict == "unknown" and (dotted(node.func) or "").rsplit(".", 1)[-1] not in CLOCK_FUNCTIONS:
            return None
    return (f"retry queued with {when.arg}={ast.unparse(when.value)} and the attempt count raised: no jitter",
            f"randomise the delay: {when.arg}=... + timedelta(seconds=random.uniform(0, base ** attempt)) (full jitter)",
            Confidence.high)


def _requeue_retry_sleeps(module: SourceModule, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.Call]:
    """A fixed sleep followed, in the same block, by putting the work back on a queue with the attempt count
    raised (``await asyncio.sleep(1); await self.queue.put((tries + 1, args))`` after a failed send): the
    items that failed together come back together, however the worker loop around it is written."""
    for block in (b for n in (fn, *walk_function_body(fn)) for b in _blocks(n)):
        for index, statement in enumerate(block):
            if not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                       and n.func.attr in ("put", "put_nowait") and _raises_attempt_count(n) for n in walk_nodes(statement)):
                continue
            sleep = _first_sleep(module, block[:index])
            if sleep is not None and _deterministic(module, sleep, statement):
                yield sleep


def _blocks(node: ast.AST) -> list[list[ast.stmt]]:
    return [b for b in (getattr(node, field, None) for field in ("body", "orelse", "finalbody"))
            if isinstance(b, list) and b and isinstance(b[0], ast.stmt)]


def _raises_attempt_count(call: ast.Call) -> bool:
    """The call hands on an attempt count plus one (``(tries + 1, args)``, ``retries=retries + 1``)."""
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add) and isinstance(n.left, ast.Name)
               and ATTEMPT_NAME.search(n.left.id) for n in walk_nodes(call))


def _passes_attempt_count(call: ast.Call) -> bool:
    """The call hands on an attempt counter: a keyword, a ``kwargs={...}`` key or a name like ``retry_num``."""
    for kw in call.keywords:
        if kw.arg and kw.arg != "countdown" and ATTEMPT_NAME.search(kw.arg):
            return True
    for node in walk_nodes(call):
        if isinstance(node, ast.Dict) and any(ATTEMPT_NAME.search(string_value(k) or "") for k in node.keys if k):
            return True
        if isinstance(node, ast.Name) and node is not call.func.value and ATTEMPT_NAME.search(node.id):
            return True
    return False


def _bound_task(module: SourceModule, fn: ast.AST) -> str | None:
    """The name a task decorated with ``bind=True`` gives the task in its first parameter (``self``, or
    ``task`` in ``def send_email_task(task, email)``), or ``self`` in a method of a Celery ``Task`` subclass;
    None for any other function."""
    args = fn.args.posonlyargs + fn.args.args
    bound = _task_class(module, fn) is not None or any(isinstance(d, ast.Call) and any(kw.arg == "bind" and isinstance(kw.value, ast.Constant)
                                                and kw.value.value is True for kw in d.keywords)
                for d in fn.decorator_list)
    return args[0].arg if args and bound else None


def _tenacity_problem(module: SourceModule, call: ast.Call, name: str) -> tuple[str, str, Confidence] | None:
    if any(kw.arg is None for kw in call.keywords):
        return None  # options come from elsewhere
    decorated = module.parents.get(call)
    if isinstance(decorated, FUNCTION_TYPES) and call in decorated.decorator_list and _runs_forever(decorated):
        return None  # reconnects a listener
    wait = keyword(call, "wait")
    fix = "use wait=wait_random_exponential(multiplier=1, max=30) or add + wait_random(0, 1)"
    short = name.rsplit(".", 1)[-1]
    if wait is None:
        if call.args:
            return None  # @retry(some_callable) style or positional options: unknown
        return f"tenacity {short}() retries immediately: no wait, no jitter", fix, Confidence.medium
    parts = _wait_parts(module, wait)
    if parts is None:
        return None
    if parts & TENACITY_RANDOM_WAITS:
        return None
    shown = ", ".join(sorted(parts)) or ast.unparse(wait)
    return f"tenacity {short}() waits with {shown}: no random component", fix, Confidence.high


def _wait_parts(module: SourceModule, wait: ast.expr, depth: int = 0) -> set[str] | None:
    """The tenacity wait strategies combined in ``wait`` (``wait_fixed(1) + wait_random(0, 1)``);
    None when the strategy is not visible here."""
    if depth > 3:
        return None
    if isinstance(wait, ast.BinOp):
        left, right = _wait_parts(module, wait.left, depth + 1), _wait_parts(module, wait.right, depth + 1)
        return None if left is None or right is None else left | right
    if isinstance(wait, ast.Call):
        name = call_name(module, wait) or ""
        if name.startswith("tenacity."):
            short = name.rsplit(".", 1)[-1]
            if short in ("wait_chain", "wait_combine"):
                inner = [_wait_parts(module, a, depth + 1) for a in wait.args]
                return None if any(p is None for p in inner) else set().union(*inner)
            return {short}
        return None
    if isinstance(wait, ast.Name):
        assigned = module_constant(module, wait.id)
        return _wait_parts(module, assigned, depth + 1) if assigned is not None else None
    return None


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in (0, 0.0)


# --- hand-written retry loops ----------------------------------------------------------


def _retry_sleep(module: SourceModule, project: Project, loop: ast.For | ast.AsyncFor | ast.While) -> ast.Call | None:
    """The deterministic sleep of a retry loop, or None when ``loop`` is no such loop."""
    if _at_most_two_rounds(module, loop):
        return None  # for _ in range(2): one more try, no second synchronised wave
    if _under_process_lock(module, loop):
        return None  # with db_lock: the process's threads retry one at a time, never in step
    tries = _attempts(loop.body)
    for statement in tries:
        if isinstance(loop, ast.While) and _perpetual(loop, statement):
            return None  # a listener's reconnect loop or a worker's pause after an error
        if only_builds_engine(module, statement):
            continue  # engine = create_engine(url): lazy, it connects nothing, so the handler never runs
        if _moves_to_next_item(loop, statement) or _tries_each_item(loop, statement):
            continue  # for email in queue: try: send(email) except: sleep(0.25): the next round sends the next one
        if _probes_readiness(statement) or _waits_on_local_state(module, statement) or _acts_on_page(module, statement) \
                or _reads_local_file(module, statement) or _works_on_local_files(module, statement):
            return None  # client.get(f"{url}/health") until it answers: a wait for a process, or a page, to come up
        for handler in statement.handlers:
            if _idle_handler(module, handler) or _catches_only_unraised(project, handler):
                continue  # except queue.Empty: sleep(5): nothing to do yet, an idle poll, nothing failed
            sleep = _first_sleep(module, handler.body)
            if sleep is not None:
                return sleep if _deterministic(module, sleep, loop) else None
        if statement in loop.body and (_leaves_loop(statement.body) or _leaves_loop(statement.orelse)) \
                and not _watches_for_life(loop, statement):
            # the pause after the attempt; one before it (at the top of the loop) runs before the first
            # attempt too: the loop polls for a state to come about, nothing failed is being retried
            after = loop.body[loop.body.index(statement) + 1:]
            sleep = _first_sleep(module, after) or _wait_after_first_round(module, loop, statement) \
                or _sleep_after_success_test(module, statement.body)
            if sleep is not None:
                return sleep if _deterministic(module, sleep, loop) else None
    if not tries and _counts_attempts(loop) and _leaves_loop(loop.body) and not _leaves_when_found(loop.body) \
            and not _failures_raise(loop.body):
        sleep = _first_sleep(module, loop.body)
        if sleep is not None and _deterministic(module, sleep, loop):
            return sleep  # a bounded retry on a result: for attempt in range(retries): ...; if ok: break; sleep(5)
    if not tries and _leaves_loop(loop.body):
        sleep = _overload_sleep(module, loop.body)
        if sleep is not None and _deterministic(module, sleep, loop):
            return sleep  # while True: resp = get(url); if resp.status_code == 429: sleep(5); continue; return resp
    return None


OVERLOAD_STATUS = {429, 502, 503, 504}


def _overload_sleep(module: SourceModule, body: list[ast.stmt]) -> ast.Call | None:
    """The sleep of a loop that answers an overloaded service's status by waiting and trying again
    (``if resp.status_code == 429: time.sleep(5); continue``, also ``in (429, 503)``, ``>= 500``,
    ``HTTPStatus.TOO_MANY_REQUESTS``), where the loop goes round after the sleep."""
    for statement in _own_statements(body):
        if not isinstance(statement, ast.If) or not _tests_overload(statement.test):
            continue
        sleep = _first_sleep(module, statement.body)
        if sleep is not None and not isinstance(statement.body[-1], (ast.Return, ast.Raise, ast.Break)):
            return sleep
    return None


def _tests_overload(test: ast.expr) -> bool:
    """A test of a response status against 429/502/503/504 (or ``>= 500``, or a status named TOO_MANY_REQUESTS,
    SERVICE_UNAVAILABLE)."""
    for node in walk_nodes(test):
        if not isinstance(node, ast.Compare):
            continue
        names = [(dotted(n) or "").rsplit(".", 1)[-1] for n in walk_nodes(node) if isinstance(n, (ast.Name, ast.Attribute))]
        if not any("status" in name.lower() or name == "code" for name in names):
            continue
        values = {n.value for n in walk_nodes(node) if isinstance(n, ast.Constant) and isinstance(n.value, int)}
        if values & OVERLOAD_STATUS or any(name in ("TOO_MANY_REQUESTS", "SERVICE_UNAVAILABLE") for name in names) or (
                isinstance(node.ops[0], (ast.GtE, ast.Gt)) and values & {499, 500}):
            return True
    return False


def _sleep_after_success_test(module: SourceModule, body: list[ast.stmt]) -> ast.Call | None:
    """A sleep inside the ``try`` after the test that leaves on success (``if resp.status_code == 200: break``,
    then ``time.sleep(5)``): the pause before the next attempt. Not after a plain truth test of a state
    (``if report["done"]: break``): that loop polls."""
    for index, statement in enumerate(body):
        if isinstance(statement, ast.If) and any(isinstance(n, (ast.Break, ast.Return)) for n in statement.body):
            return None if _truth_test(statement.test) else _first_sleep(module, body[index + 1:])
    return None


def _wait_after_first_round(module: SourceModule, loop: ast.AST, attempt: ast.Try) -> ast.Call | None:
    """A sleep before the attempt under a test of the attempt count (``if attempt: time.sleep(2 ** attempt)``,
    ``if tries > 0:``, or of a delay computed from it, ``delay = BASE * 2 ** attempt if attempt > 1 else 0``
    then ``if delay:``), when a handler lets the loop go round: it is skipped on the first round, so it waits
    between a failure and the next try, a retry's wait (an unconditional one at the top paces a poll)."""
    if not any(_goes_round(handler) for handler in attempt.handlers):
        return None
    counters = {n.id for n in walk_nodes(loop.target) if isinstance(n, ast.Name)} \
        if isinstance(loop, (ast.For, ast.AsyncFor)) and _counts_attempts(loop) else set()  # not page_num

    def reads_count(node: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and (n.id in counters or ATTEMPT_NAME.search(n.id) or TRY_COUNT.search(n.id))
                   for n in walk_nodes(node))

    for statement in loop.body[:loop.body.index(attempt)]:
        if isinstance(statement, ast.Assign) and reads_count(statement.value):
            counters |= {t.id for t in statement.targets if isinstance(t, ast.Name)}
        if isinstance(statement, ast.If) and reads_count(statement.test):
            sleep = _first_sleep(module, statement.body)
            if sleep is not None:
                return sleep
    return None


def _watches_for_life(loop: ast.AST, attempt: ast.Try) -> bool:
    """A watcher: a ``while`` on a lifetime flag or event (``while self._monitoring.is_set():``) whose handlers
    all leave the loop (``except Exception: break``). It goes round only after a good reading
    (``if read_memory() > limit: alarm(); return``), so its sleep paces a watch: nothing failed is tried again."""
    if not isinstance(loop, ast.While) or any(_goes_round(handler) for handler in attempt.handlers):
        return False
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "is_set"
               or isinstance(n, (ast.Name, ast.Attribute)) and WATCH_FLAG.search(n.id if isinstance(n, ast.Name) else n.attr)
               for n in walk_nodes(loop.test))


def _under_process_lock(module: SourceModule, loop: ast.AST) -> bool:
    """Whether the loop runs inside ``with lock:`` for a module global bound to a ``threading`` lock."""
    locks = {target.id for node in module.tree.body if isinstance(node, ast.Assign)
             and isinstance(node.value, ast.Call) and call_name(module, node.value) in PROCESS_LOCKS
             for target in node.targets if isinstance(target, ast.Name)}
    return any(isinstance(node, ast.With) and any(isinstance(item.context_expr, ast.Name)
                                                  and item.context_expr.id in locks for item in node.items)
               for node in ancestors(module, loop))


def _moves_to_next_item(loop: ast.For | ast.AsyncFor | ast.While, attempt: ast.Try) -> bool:
    """A ``for`` loop over items (not a header that counts attempts) whose ``try`` does not leave the loop on
    success: each round handles the next item, so a pause after a failure moves on, it tries nothing again.
    Over the indexes of ``range()`` (``for page_num in range(max_pages)``), only when the handler falls through
    to the rest of the round (no ``continue``): a fallback, as ``except ReadinessError: sleep(2)`` before the
    next step."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)) or _counts_attempts(loop) \
            or _leaves_loop(attempt.body) or _leaves_loop(attempt.orelse):
        return False
    if isinstance(loop.iter, ast.Call) and dotted(loop.iter.func) == "range":
        return not any(isinstance(n, ast.Continue) for handler in attempt.handlers for n in walk_nodes(handler))
    return True


def _tries_each_item(loop: ast.For | ast.AsyncFor | ast.While, attempt: ast.Try) -> bool:
    """A loop over items whose ``try`` uses the item (``for offer in offers: try: return launch(offer)
    except SkipOffer: continue``, or ``while ...: offer = next(offers, None)``): after a failure the next
    round tries another target, a failover, not the same call again (even when the loop counts the
    targets tried). A ``for`` over ``range()`` or over attempts is no such loop."""
    if isinstance(loop, (ast.For, ast.AsyncFor)) and (
            _counts_attempts(loop) or isinstance(loop.iter, ast.Call) and dotted(loop.iter.func) == "range"):
        return False
    items = {n.id for n in walk_nodes(loop.target) if isinstance(n, ast.Name)} \
        if isinstance(loop, (ast.For, ast.AsyncFor)) else set()
    for statement in loop.body:
        if statement is attempt:
            break
        if isinstance(statement, ast.Assign) and any(
                isinstance(n, ast.Name) and n.id in items or isinstance(n, ast.Call) and dotted(n.func) == "next"
                for n in walk_nodes(statement.value)):
            items |= {n.id for t in statement.targets for n in walk_nodes(t) if isinstance(n, ast.Name)}
    return any(isinstance(n, ast.Name) and n.id in items for statement in attempt.body for n in walk_nodes(statement))


def _at_most_two_rounds(module: SourceModule, loop: ast.For | ast.AsyncFor | ast.While) -> bool:
    """``for _ in range(2)``, ``for attempt in range(1, MAX_ATTEMPTS + 1)`` with ``MAX_ATTEMPTS = 2``, or
    ``range(attempts)`` after ``attempts = 2 if retry else 1``, ``while retries < 2`` counting up from
    ``retries = 0``: the attempt and one retry at most."""
    if isinstance(loop, ast.While):
        return _counts_up_to_two(module, loop)
    if not (isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.iter, ast.Call)
            and dotted(loop.iter.func) == "range" and 1 <= len(loop.iter.args) <= 2 and not loop.iter.keywords):
        return False
    fn = enclosing_function(module, loop)
    bounds = [_int_values(module, fn, arg, 0) for arg in loop.iter.args]
    if any(not values for values in bounds):
        return False
    start, stop = ([0], bounds[0]) if len(bounds) == 1 else bounds
    return max(stop) - min(start) <= 2


def _counts_up_to_two(module: SourceModule, loop: ast.While) -> bool:
    """``retries = 0`` ... ``while retries < 2:`` with only ``retries += 1`` in the loop: two rounds at most."""
    test = loop.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Lt, ast.LtE))
            and isinstance(test.left, ast.Name)):
        return False
    fn = enclosing_function(module, loop)
    counter = test.left.id
    if fn is None or _is_parameter(fn, counter):
        return False
    changes = [n for n in walk_function_body(fn) if isinstance(n, ast.AugAssign)
               and isinstance(n.target, ast.Name) and n.target.id == counter]
    if not changes or any(not (isinstance(n.op, ast.Add) and isinstance(n.value, ast.Constant) and n.value.value == 1)
                          for n in changes):
        return False
    start, stop = _int_values(module, fn, test.left, 0), _int_values(module, fn, test.comparators[0], 0)
    if not start or not stop:
        return False
    rounds = max(stop) - min(start) + (1 if isinstance(test.ops[0], ast.LtE) else 0)
    return rounds <= 2


def _int_values(module: SourceModule, fn: ast.AST | None, expr: ast.expr, depth: int) -> list[int] | None:
    """The integers ``expr`` may be: a literal, a name the function (or else the module) binds to literals only
    (``attempts = 2 if retry else 1``), a sum or difference of such; None when any part is not known."""
    if depth > 3:
        return None
    if isinstance(expr, ast.Constant):
        return [expr.value] if isinstance(expr.value, int) and not isinstance(expr.value, bool) else None
    if isinstance(expr, ast.IfExp):
        body, orelse = _int_values(module, fn, expr.body, depth + 1), _int_values(module, fn, expr.orelse, depth + 1)
        return None if body is None or orelse is None else body + orelse
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        left, right = _int_values(module, fn, expr.left, depth + 1), _int_values(module, fn, expr.right, depth + 1)
        if left is None or right is None:
            return None
        return [a + b if isinstance(expr.op, ast.Add) else a - b for a in left for b in right]
    if not isinstance(expr, ast.Name):
        return None
    if fn is not None and not _is_parameter(fn, expr.id):
        bound = [node.value for node in walk_function_body(fn) if isinstance(node, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)]
        if bound:
            values = [_int_values(module, fn, value, depth + 1) for value in bound]
            return None if any(v is None for v in values) else [i for v in values for i in v]
        if any(isinstance(n, (ast.AugAssign, ast.AnnAssign)) and isinstance(n.target, ast.Name) and n.target.id == expr.id
               for n in walk_function_body(fn)):
            return None
    elif fn is not None:
        return None
    constant = module_constant(module, expr.id)
    return _int_values(module, None, constant, depth + 1) if constant is not None else None


def _waits_on_local_state(module: SourceModule, attempt: ast.Try) -> bool:
    """A ``try`` that only calls methods of its own class which touch nothing but the object's state
    (``self.refill(); self.take_token()`` of a token bucket): the loop waits for a local limiter or lock to
    let it through, it retries no remote call."""
    cls = next((p for p in ancestors(module, attempt) if isinstance(p, ast.ClassDef)), None)
    calls = [n for statement in attempt.body for n in walk_nodes(statement) if isinstance(n, ast.Call)]
    return cls is not None and bool(calls) and all(_local_state_call(module, cls, call, set()) for call in calls)


PURE_CALLS = {"time.time", "time.monotonic", "time.perf_counter", "min", "max", "abs", "len", "int", "float",
              "round", "math.floor", "math.ceil", "math.exp", "math.log", "math.sqrt"}


def _local_state_call(module: SourceModule, cls: ast.ClassDef, call: ast.Call, seen: set[str]) -> bool:
    """Whether ``call`` is a pure helper or a synchronous method of ``cls`` that only reads and writes the
    object (its own calls being such calls too)."""
    if call_name(module, call) in PURE_CALLS:
        return True
    name = dotted(call.func) or ""
    if not name.startswith("self.") or name.count(".") != 1:
        return False
    method_name = name.split(".", 1)[1]
    if method_name in seen:
        return True
    seen.add(method_name)
    method = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == method_name), None)
    if method is None:
        return False
    raised = {id(n) for raise_ in walk_function_body(method) if isinstance(raise_, ast.Raise) for n in walk_nodes(raise_)}
    return all(_local_state_call(module, cls, inner, seen) for inner in walk_function_body(method)
               if isinstance(inner, ast.Call) and id(inner) not in raised)


FILE_READS = {"open", "io.open", "os.stat", "os.path.exists", "os.path.isfile", "os.path.getsize", "os.listdir"}
FILE_READ_METHODS = {"read_text", "read_bytes", "exists", "is_file", "stat"}
# what code does with the file it read: read it, parse it
PARSE_METHODS = {"read", "readline", "readlines", "splitlines", "split", "strip", "decode", "startswith"}


def _reads_local_file(module: SourceModule, attempt: ast.Try) -> bool:
    """A ``try`` whose calls only read a local file and parse it (``int(port_file.read_text().splitlines()[0])``):
    the loop waits for another process to write the file (a port file, a pid file); no remote service sees
    its rounds."""
    raised = {id(n) for statement in attempt.body for raise_ in walk_nodes(statement) if isinstance(raise_, ast.Raise)
              for n in walk_nodes(raise_)}
    calls = [n for statement in attempt.body for n in walk_nodes(statement) if isinstance(n, ast.Call) and id(n) not in raised]
    method = {id(c): c.func.attr for c in calls if isinstance(c.func, ast.Attribute)}
    reads = [c for c in calls if call_name(module, c) in FILE_READS or method.get(id(c)) in FILE_READ_METHODS]
    return bool(reads) and all(c in reads or call_name(module, c) in PURE_CALLS or method.get(id(c)) in PARSE_METHODS
                               for c in calls)


# operations on the host's own files and locks: a retry of one waits for another local process or thread
# (a Windows file handle, an flock), no remote service sees its rounds
LOCAL_FILE_OPERATIONS = {
    "shutil.move", "shutil.rmtree", "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree",
    "os.replace", "os.rename", "os.remove", "os.unlink", "os.rmdir", "os.makedirs", "os.mkdir",
    "fcntl.flock", "fcntl.lockf", "msvcrt.locking",
}
LOCAL_BOOKKEEPING = {"gc.collect"}
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception"}


def _works_on_local_files(module: SourceModule, attempt: ast.Try) -> bool:
    """A ``try`` whose calls only move, remove or lock local files (``shutil.move(src, dst)`` while Windows holds
    a handle, ``fcntl.flock(fd, LOCK_EX | LOCK_NB)``), besides logging and ``gc.collect()``."""
    calls = [n for statement in attempt.body for n in walk_nodes(statement) if isinstance(n, ast.Call)]
    names = [call_name(module, c) for c in calls]
    file_operations = [name for name in names if name in LOCAL_FILE_OPERATIONS]
    return bool(file_operations) and all(
        name in LOCAL_FILE_OPERATIONS or name in LOCAL_BOOKKEEPING or name in PURE_CALLS
        or isinstance(call.func, ast.Attribute) and call.func.attr in LOG_METHODS
        for call, name in zip(calls, names))


# Playwright calls that work in the browser the process drives (the DOM, in-page JavaScript), not over the network
PAGE_METHODS = {"wait_for", "wait_for_selector", "wait_for_function", "evaluate", "evaluate_handle", "locator",
                "query_selector", "query_selector_all", "click", "dblclick", "fill", "type", "press", "check", "hover",
                "focus", "select_option", "scroll_into_view_if_needed", "is_visible", "is_enabled", "count",
                "inner_text", "inner_html", "text_content", "get_attribute", "bounding_box"}


def _acts_on_page(module: SourceModule, attempt: ast.Try) -> bool:
    """A ``try`` in a Playwright module whose calls all act on the page in the browser the process drives
    (``await locator.wait_for(state="attached")``, ``page.evaluate(js)``): the loop waits for its own DOM to
    settle, no remote service sees the retries (``page.goto`` loads a remote site: not such a call)."""
    if not module.imports_module("playwright"):
        return False
    calls = [n for statement in attempt.body for n in walk_nodes(statement) if isinstance(n, ast.Call)]
    return bool(calls) and all(call_name(module, call) in PURE_CALLS or isinstance(call.func, ast.Attribute)
                               and call.func.attr in PAGE_METHODS and dotted(call.func.value) not in ("self", "cls")
                               for call in calls)


def _probes_readiness(attempt: ast.Try) -> bool:
    """A ``try`` that calls a health or readiness endpoint (``client.get(f"{api_url}/health")``): the loop
    waits for a process, often one it has just started, to come up; it polls, it retries no work."""
    for node in (n for statement in attempt.body for n in walk_nodes(statement)):
        parts = node.values if isinstance(node, ast.JoinedStr) else [node]
        if any(READINESS_PATH.search(string_value(part) or "") for part in parts):
            return True
    return False


IDLE_EXCEPTIONS = {"Empty", "QueueEmpty", "Full", "QueueFull", "StopIteration", "StopAsyncIteration"}
READINESS_PATH = re.compile(r"/(health|healthz|healthcheck|livez|readyz|ready|ping)\b")
SUCCESS_NAME = re.compile(r"(?i)\bok\b|^ok$|success|succeed")


def _catches_only_unraised(project: Project, handler: ast.ExceptHandler) -> bool:
    """A handler for exception classes the project defines and never uses anywhere else (no ``raise``, no
    subclass, no reference outside ``except`` clauses and imports): it never runs, the loop retries nothing."""
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type else []
    names = [t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else "" for t in types]
    defined, used = _exception_class_uses(project)
    return bool(names) and all(name in defined and name not in used for name in names)


def _exception_class_uses(project: Project) -> tuple[set[str], set[str]]:
    """The names of the classes the project defines, and the names it uses outside ``except`` clauses,
    imports and class names (raised, subclassed, passed on)."""
    facts = project.facts.get("retry_no_jitter.exception_class_uses")
    if facts is None:
        defined: set[str] = set()
        used: set[str] = set()
        for other in project.modules:
            caught = {id(n) for handler in other.nodes_of(ast.ExceptHandler) if handler.type is not None
                      for n in walk_nodes(handler.type)}
            for node in walk_nodes(other.tree):
                if isinstance(node, ast.ClassDef):
                    defined.add(node.name)
                elif isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in caught:
                    used.add(node.id if isinstance(node, ast.Name) else node.attr)
        facts = project.facts["retry_no_jitter.exception_class_uses"] = (defined, used)
    return facts  # type: ignore[return-value]


def _idle_handler(module: SourceModule, handler: ast.ExceptHandler) -> bool:
    """``except queue.Empty:`` (or ``QueueEmpty``, ``StopIteration``): the source had nothing yet; a sleep
    there paces an idle poll for work, it retries nothing that failed. So does ``except queue.Full:``: the
    process's own queue pushes back until its consumer catches up."""
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type else []
    names = [t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else "" for t in types]
    return bool(names) and all(name in IDLE_EXCEPTIONS for name in names)


def _leaves_when_found(body: list[ast.stmt]) -> bool:
    """A loop with no ``except`` that leaves when a plain truth test holds (``if record_found: break``,
    ``if status: break``, ``if job.done(): return``, ``if report["allFinished"]: break``, ``if status == "done":``,
    ``if state in ["RUNNING", "PENDING"]: continue``) waits for a state to come about (a DNS record to
    propagate, a job to end): it polls. One that compares a result code (``if code != "retry-later":
    break``) or tests success (``if resp.ok: break``) tries a failed operation again."""
    tests = [s.test for s in _own_statements(body) if isinstance(s, ast.If)
             and any(isinstance(n, (ast.Break, ast.Return, ast.Continue)) for n in s.body)]
    return bool(tests) and all(_truth_test(test) for test in tests)


def _failures_raise(body: list[ast.stmt]) -> bool:
    """A loop that raises on a failed answer (``response.raise_for_status()`` outside any ``try``): a failure
    leaves the loop, so the rounds it goes are for an answer that is not ready yet (a job still running): it polls."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "raise_for_status"
               for statement in _own_statements(body) if not isinstance(statement, (ast.Try, ast.If, ast.With))
               for n in walk_nodes(statement))


# the states of a remote job a poll waits on (``if status == "done": return result``), not an operation's result code
JOB_STATE = re.compile(r"(?i)^(done|completed?|finished|ready|reported|running|pending|queued|processing|in_progress)$")


def _names_job_states(expr: ast.expr) -> bool:
    """``"done"``, ``["RUNNING", "PENDING"]``: states of a remote job."""
    values = expr.elts if isinstance(expr, (ast.List, ast.Tuple, ast.Set)) else [expr]
    return bool(values) and all(JOB_STATE.match(string_value(v) or "") for v in values)


def _truth_test(test: ast.expr) -> bool:
    """``found``, ``not job.done()``, ``reply is not None``, or such tests joined by ``and``/``or``
    (``if settled and not challenged(page): break``), with no name of success (``resp.ok``)."""
    if isinstance(test, ast.BoolOp):
        return all(_truth_test(operand) for operand in test.values)
    inner = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if isinstance(inner, ast.Compare) and len(inner.ops) == 1 and isinstance(inner.ops[0], (ast.Is, ast.IsNot)) \
            and is_none(inner.comparators[0]):
        inner = inner.left  # if reply is not None: return reply: the same presence test
    if isinstance(inner, ast.Compare) and len(inner.ops) == 1:
        op, right = inner.ops[0], inner.comparators[0]
        if isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) and _names_job_states(right):
            inner = inner.left  # if status == "done": the job's state
        elif isinstance(op, ast.In) and string_value(inner.left) is not None:
            inner = right  # if "report" in info.keys(): the result is there
    if isinstance(inner, ast.Subscript) and string_value(inner.slice) is not None:
        inner = inner.value  # report["allFinished"], a job's flag
    if not isinstance(inner, (ast.Name, ast.Attribute, ast.Call)):
        return False
    named = inner.func if isinstance(inner, ast.Call) else inner
    return not any(SUCCESS_NAME.search(n.id if isinstance(n, ast.Name) else n.attr) for n in walk_nodes(named)
                   if isinstance(n, (ast.Name, ast.Attribute)))


APP_FACTORY = re.compile(r"^(create|make|build|setup|init|get)_?(app|application|wsgi_app|asgi_app)$")
START_UP_WAIT = re.compile(r"^_?(init|initialize|initialise|setup|wait_for)(_\w+)?$")


def _start_up_wait(module: SourceModule, project: Project, loop: ast.AST) -> bool:
    """A retry loop in a start-up helper (``init_redis_connection``, ``wait_for_db``) that only an application
    factory (``create_app``) calls, or only the ``main()`` of a pre-start script (``python app/pre_start.py``
    before the server starts): each process waits once for its dependency as it starts. Its synchronised
    retries number the processes, not the requests, like a listener's reconnects."""
    return _waits_at_start_up(project, enclosing_function(module, loop))


def _decorates_start_up_wait(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """``@retry(wait=wait_fixed(1))`` on ``init(engine)``, which only a pre-start script's ``main()`` calls."""
    fn = module.parents.get(call)
    return isinstance(fn, FUNCTION_TYPES) and call in fn.decorator_list and _waits_at_start_up(project, fn)


def _waits_at_start_up(project: Project, fn: ast.AST | None) -> bool:
    if fn is None or not START_UP_WAIT.match(fn.name):
        return False
    callers = _callers(project).get(fn.name, [])
    return bool(callers) and all(script_main or caller is not None and APP_FACTORY.match(caller.name)
                                 for caller, script_main in callers)


PROCESS_STARTS = {"subprocess.Popen", "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
                  "multiprocessing.Process", "os.posix_spawn", "os.spawnv", "os.spawnl"}


def _waits_for_started_process(module: SourceModule, fn: ast.AST | None) -> bool:
    """A retry loop in a function the module calls only right after starting a process
    (``self._spawn_daemon(); self._connect_with_retry()``, the spawn a ``subprocess.Popen`` in a helper):
    it waits for the process it has just started to accept connections, like a probe of its health
    endpoint; no shared dependency sees the rounds."""
    if fn is None:
        return False
    owner = module.parents.get(fn)
    if isinstance(owner, ast.ClassDef):  # a method: the calls self.<name>() of its class
        calls = [n for n in walk_nodes(owner) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr == fn.name and isinstance(n.func.value, ast.Name) and n.func.value.id in ("self", "cls")]
    else:
        calls = [n for n in module.nodes_of(ast.Call) if isinstance(n.func, ast.Name) and n.func.id == fn.name]
    return bool(calls) and all(_after_process_start(module, call) for call in calls)


def _after_process_start(module: SourceModule, call: ast.Call) -> bool:
    statement = next((p for p in ancestors(module, call) if isinstance(p, ast.stmt)), None)
    block = _block_of(module, statement) if statement is not None else None
    if not block:
        return False
    index = next(i for i, s in enumerate(block) if s is statement)
    return index > 0 and _starts_process(module, block[index - 1], 0)


def _starts_process(module: SourceModule, node: ast.AST, depth: int) -> bool:
    """Whether ``node`` starts a process: calls ``subprocess.Popen`` and the like, or calls (or hands to a thread,
    ``asyncio.to_thread(self._spawn)``) a function of the module that does."""
    if depth > 3:
        return False
    functions = _functions_by_name(module)
    for inner in walk_nodes(node):
        if isinstance(inner, ast.Call) and call_name(module, inner) in PROCESS_STARTS:
            return True
        name = inner.id if isinstance(inner, ast.Name) else inner.attr if isinstance(inner, ast.Attribute) \
            and isinstance(inner.value, ast.Name) and inner.value.id in ("self", "cls") else None
        helper = functions.get(name) if name else None
        if helper is not None and helper is not node and _starts_process(module, helper, depth + 1):
            return True
    return False


def _functions_by_name(module: SourceModule) -> dict[str, ast.AST]:
    functions = module.tree.__dict__.get("_functions_by_name")
    if functions is None:
        functions = module.tree.__dict__["_functions_by_name"] = {}
        for fn in module.nodes_of(ast.FunctionDef, ast.AsyncFunctionDef):
            functions.setdefault(fn.name, fn)
    return functions


def _callers(project: Project) -> dict[str, list[tuple[ast.AST | None, bool]]]:
    """Function name -> the functions calling it in service code (None: module level), each with whether it
    is the ``main()`` that its module's ``if __name__ == "__main__":`` block runs."""
    table = project.facts.get("retry_no_jitter.callers")
    if table is None:
        table = {}
        for other in project.modules:
            if is_test_file(other):
                continue
            for call in other.nodes_of(ast.Call):
                name = call.func.id if isinstance(call.func, ast.Name) else \
                    call.func.attr if isinstance(call.func, ast.Attribute) else None
                if name and START_UP_WAIT.match(name) and not (isinstance(call.func, ast.Attribute) and "_" not in name):
                    caller = enclosing_function(other, call)  # (sentry_sdk.init(), django.setup(): a library's)
                    script_main = caller.name == "main" and _main_block_calls_main(other) if caller is not None \
                        else in_main_block(other, call)
                    table.setdefault(name, []).append((caller, script_main))
        project.facts["retry_no_jitter.callers"] = table
    return table  # type: ignore[return-value]


def _main_block_calls_main(module: SourceModule) -> bool:
    return any(isinstance(statement, ast.If) and "__main__" in ast.unparse(statement.test)
               and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "main"
                       for s in statement.body for n in ast.walk(s))
               for statement in module.tree.body)


def _own_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a loop's body and of its ``if``/``with``/``try`` blocks, not those of inner loops
    (``for txt in records: if txt == token: found = True; break`` ends the inner loop only)."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.If, ast.With, ast.AsyncWith, ast.Try)):
            inner = [*statement.body, *getattr(statement, "orelse", []), *getattr(statement, "finalbody", [])]
            yield from _own_statements(inner)


def _recursive_retry_sleeps(module: SourceModule, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.Call]:
    """Retries written as recursion: a fixed sleep (or one under a test before it, ``if throttled: sleep(backoff)``),
    then (in the same block) ``return [await] self.<this function>(...)`` (a retry decorator's ``wrapper(...)``), or a call of it as a statement handing on a changed attempt count
    (``await self.reload(event_id, retries - 1)``). A function named for restarting (``catch_and_restart``, ``supervise``)
    restarts a background task after it crashed, once per process, like a listener's reconnect loop:
    not a retry."""
    if SUPERVISOR_NAME.search(fn.name):
        return
    for node in walk_function_body(fn):
        again = node.value if isinstance(node, (ast.Return, ast.Expr)) else None
        if not _calls_itself(again, fn) or isinstance(node, ast.Expr) and not _counts_on(_awaited(again)):
            continue
        block = _block_of(module, node) or []
        before = block[:block.index(node)] if block else []
        sleep = _first_sleep(module, [s for s in before if isinstance(s, (ast.Expr, ast.If))])  # if throttled: sleep(...)
        if sleep is not None and _deterministic(module, sleep, sleep) and _retries_failure(module, node):
            yield sleep


def _reentry_retry_sleeps(module: SourceModule, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.Call]:
    """A function that the module calls again with one of its parameters raised (``self.start(try_n + 1)``,
    from itself or from the helper it hands the attempt to) and that sleeps under a test of that parameter
    before the attempt (``if try_n > 0: await asyncio.sleep(try_n * 10)``): a retry spread over two
    functions. Not reported where the sleep is a recursion retry already (``sleep(); return self.f(...)``)."""
    if SUPERVISOR_NAME.search(fn.name):
        return
    raised = {a.arg for a in [*fn.args.args, *fn.args.kwonlyargs] if ATTEMPT_NAME.search(a.arg) or TRY_COUNT.search(a.arg)} \
        & _raised_in_calls_of(module, fn.name)  # (not page + 1: a paginated fetch paced by a sleep)
    recursion = {id(sleep) for sleep in _recursive_retry_sleeps(module, fn)}
    for test in walk_function_body(fn):
        if not isinstance(test, ast.If) or not raised & {n.id for n in walk_nodes(test.test) if isinstance(n, ast.Name)}:
            continue
        sleep = _first_sleep(module, test.body)
        if sleep is not None and id(sleep) not in recursion and _deterministic(module, sleep, sleep):
            yield sleep


def _raised_in_calls_of(module: SourceModule, name: str) -> set[str]:
    """Names passed to calls of ``name`` (``name(...)``, ``self.name(...)``) raised by an addition: ``try_n`` in
    ``self.start(try_n + 1)``."""
    return {arg.left.id for call in module.nodes_of(ast.Call)
            if isinstance(call.func, ast.Name) and call.func.id == name or isinstance(call.func, ast.Attribute)
            and call.func.attr == name and isinstance(call.func.value, ast.Name) and call.func.value.id in ("self", "cls")
            for arg in [*call.args, *(kw.value for kw in call.keywords)]
            if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add) and isinstance(arg.left, ast.Name)}


def _recursive_immediate_retries(module: SourceModule, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.Call]:
    """Retries written as recursion with no wait: an ``except`` handler that calls the function again at
    once, counting the attempt (``return self.send(event, retries=retries - 1)``), with no sleep in the
    handler. A call again with a flag (``retry=False``: refresh a token, try once more) counts nothing;
    failures retried at once by design (a unique-key collision, bad input) are left out."""
    if SUPERVISOR_NAME.search(fn.name):
        return
    for handler in walk_function_body(fn):
        if not isinstance(handler, ast.ExceptHandler) or handler.type is not None \
                and LOCAL_FAILURES.search(ast.unparse(handler.type)) or _first_sleep(module, handler.body):
            continue
        for statement in _own_statements(handler.body):
            value = statement.value if isinstance(statement, (ast.Return, ast.Expr)) else None
            call = _awaited(value)
            if _calls_itself(call, fn) and _counts_on(call):
                yield call


def _never_taken(module: SourceModule, project: Project, node: ast.AST) -> bool:
    """Whether ``node`` is under an ``if`` of its function that needs a count above a bound it never reaches
    (``if self.retries > 0:``): a class attribute set to 0 and only ever counted down (``retries = 0``,
    ``self.retries -= 1``), or a parameter whose default and every call in the code base keep it at or below
    the bound (``retries=0``, never passed, or passed on as ``retries - 1``). That retry branch never runs."""
    fn = enclosing_function(module, node)
    child = node
    for parent in takewhile(lambda p: p is not fn, ancestors(module, node)):
        if isinstance(parent, ast.If) and any(child is s for s in parent.body):
            conditions = parent.test.values if isinstance(parent.test, ast.BoolOp) and isinstance(parent.test.op, ast.And) \
                else [parent.test]
            if any(_unreachable_bound(module, project, fn, condition) for condition in conditions):
                return True
        child = parent
    return False


def _unreachable_bound(module: SourceModule, project: Project, fn: ast.AST | None, condition: ast.expr) -> bool:
    """``count > bound`` (or ``>=``, or written the other way round) where ``count`` never gets there."""
    if fn is None or not isinstance(condition, ast.Compare) or len(condition.ops) != 1:
        return False
    left, op, right = condition.left, condition.ops[0], condition.comparators[0]
    if isinstance(op, (ast.Lt, ast.LtE)):
        left, right, op = right, left, ast.Gt() if isinstance(op, ast.Lt) else ast.GtE()
    bound = _number(right)
    if not isinstance(op, (ast.Gt, ast.GtE)) or bound is None:
        return False
    ceiling = _attribute_ceiling(module, project, fn, left) if isinstance(left, ast.Attribute) \
        else _parameter_ceiling(project, fn, left.id) if isinstance(left, ast.Name) else None
    return ceiling is not None and (ceiling <= bound if isinstance(op, ast.Gt) else ceiling < bound)


def _number(node: ast.expr | None) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _number(node.operand)
        return -value if value is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    return None


def _attribute_ceiling(module: SourceModule, project: Project, fn: ast.AST, counter: ast.Attribute) -> float | None:
    """The most ``self.<name>`` can hold: its class sets it to a number and every write to an attribute of that
    name in the code base sets a number or counts down (``self.retries -= 1``); None when anything else may
    (a subclass's own value, ``setattr``, a value computed or handed in)."""
    cls = module.parents.get(fn)
    if not (isinstance(counter.value, ast.Name) and counter.value.id == "self" and isinstance(cls, ast.ClassDef)):
        return None
    name = counter.attr
    values = [statement.value for statement in cls.body if isinstance(statement, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets)]
    for other in project.modules:
        for store in other.nodes_of(ast.Attribute):
            if store.attr != name or not isinstance(store.ctx, ast.Store):
                continue
            parent = other.parents.get(store)
            if isinstance(parent, ast.AugAssign) and isinstance(parent.op, ast.Sub) and _non_negative(parent.value):
                continue
            if not (isinstance(parent, ast.Assign) and store in parent.targets):
                return None
            values.append(parent.value)
        if any(_may_setattr(call, name) for call in other.nodes_of(ast.Call)) \
                or any(subclass is not cls and any(cls.name == (dotted(base) or "").rsplit(".", 1)[-1] for base in subclass.bases)
                       for subclass in other.nodes_of(ast.ClassDef)):
            return None
    return _largest(values)


def _may_setattr(call: ast.Call, name: str) -> bool:
    """``setattr(obj, "retries", n)``, or a ``setattr`` whose attribute name is not written out."""
    if not (isinstance(call.func, ast.Name) and call.func.id == "setattr"):
        return False
    return len(call.args) < 2 or string_value(call.args[1]) in (name, None)


def _parameter_ceiling(project: Project, fn: ast.AST, name: str) -> float | None:
    """The most parameter ``name`` can hold: a number by default, never assigned in the function, and every call of
    the function's name in the code base leaves it out, passes a number, or passes it on lowered (``retries - 1``)."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults)) | {
        a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None}
    if _number(defaults.get(name)) is None or any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                                                  for n in walk_function_body(fn)):
        return None
    index = next((i for i, a in enumerate(positional) if a.arg == name), None)
    method = bool(positional) and positional[0].arg in ("self", "cls")
    values = [defaults[name]]
    own_calls = {id(n) for n in walk_function_body(fn) if isinstance(n, ast.Call)}
    for other in project.modules:
        for call in other.nodes_of(ast.Call):
            if (call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)) != fn.name:
                continue
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                return None
            position = None if index is None else index - (method and isinstance(call.func, ast.Attribute))
            passed = [k.value for k in call.keywords if k.arg == name] + [a for i, a in enumerate(call.args) if i == position]
            values += [value for value in passed if not (id(call) in own_calls and _same_or_lowered(value, name))]
    return _largest(values)


def _same_or_lowered(value: ast.expr, name: str) -> bool:
    """``retries`` or ``retries - 1``: the function hands its own count on, no higher."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Sub) and _non_negative(value.right):
        value = value.left
    return isinstance(value, ast.Name) and value.id == name


def _non_negative(node: ast.expr) -> bool:
    number = _number(node)
    return number is not None and number >= 0


def _largest(values: list[ast.expr]) -> float | None:
    """The largest of numbers, None when there are none or one is not a number."""
    numbers = [_number(value) for value in values]
    return max(numbers) if numbers and None not in numbers else None  # type: ignore[type-var]


def _counts_on(call: ast.Call) -> bool:
    """The call hands on a changed attempt count: ``retries + 1``, ``attempts=attempts - 1``."""
    return any(isinstance(arg, ast.BinOp) and isinstance(arg.op, (ast.Add, ast.Sub))
               and any(isinstance(n, ast.Name) and ATTEMPT_NAME.search(n.id) for n in walk_nodes(arg))
               for arg in [*call.args, *(kw.value for kw in call.keywords)])


def _awaited(value: ast.expr | None) -> ast.expr | None:
    return value.value if isinstance(value, ast.Await) else value


def _calls_itself(value: ast.expr | None, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    call = _awaited(value)
    if not isinstance(call, ast.Call):
        return False
    target = call.func
    if isinstance(target, ast.Name):
        return target.id == fn.name
    return (isinstance(target, ast.Attribute) and target.attr == fn.name and isinstance(target.value, ast.Name)
            and target.value.id in ("self", "cls"))


def _block_of(module: SourceModule, statement: ast.stmt) -> list[ast.stmt] | None:
    """The statement list that holds ``statement`` (a body, an ``else``, a handler's body)."""
    parent = module.parents.get(statement)
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(s is statement for s in block):
            return block
    return None


def _attempts(body: list[ast.stmt]) -> list[ast.Try]:
    """The ``try`` statements of a loop's body, also those under an ``if``/``with`` of it or in a ``try`` that
    only has a ``finally`` (``try: try: ... except ...: ... finally: conn.close()``; not those of inner loops or
    functions)."""
    found: list[ast.Try] = []
    for statement in body:
        if isinstance(statement, ast.Try) and statement.handlers:
            found.append(statement)
        elif isinstance(statement, ast.Try):
            found.extend(_attempts(statement.body))
        elif isinstance(statement, (ast.If, ast.With, ast.AsyncWith)):
            found.extend(_attempts(statement.body + getattr(statement, "orelse", [])))
    return found


def _counts_attempts(loop: ast.For | ast.AsyncFor | ast.While) -> bool:
    """Whether the loop's header counts attempts (``for attempt in range(...)``, ``range(max_retries)``,
    ``for _ in range(3)``, ``while tries < 5``): the code itself says it tries again, even with no ``except``
    (the failure is a result code)."""
    if isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name) and loop.target.id.startswith("_") \
            and isinstance(loop.iter, ast.Call) and dotted(loop.iter.func) == "range":
        return True  # for _ in range(3): the same thing, a number of times
    header = [loop.target, loop.iter] if isinstance(loop, (ast.For, ast.AsyncFor)) else [loop.test]
    return any(ATTEMPT_NAME.search(n.id if isinstance(n, ast.Name) else n.attr)
               for part in header for n in walk_nodes(part) if isinstance(n, (ast.Name, ast.Attribute)))


def _perpetual(loop: ast.While, attempt: ast.Try) -> bool:
    """A ``while`` loop that runs its ``try`` again whether it failed or not: it never leaves on
    success (no ``return``/``break`` of the loop from the attempt on, nothing in its test set by the body), as a listener
    that reopens a stream and consumes it or a worker that takes the next job does; or a generator
    loop that yields each event of what it opened. One per process: nothing to retry in lockstep."""
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for inner in _walk_same_loop(attempt.body)
           if isinstance(inner, (ast.For, ast.AsyncFor, ast.While)) for n in walk_nodes(inner)):
        return True
    start = next(i for i, s in enumerate(loop.body) if any(n is attempt for n in walk_nodes(s)))
    if _leaves_on_success(loop.body[start:]):
        return False  # (a return before the attempt, when nothing is left to do, ends the worker's life)
    tested = {n.id for n in walk_nodes(loop.test) if isinstance(n, ast.Name)}
    if any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in tested
           for statement in loop.body for n in walk_nodes(statement)):
        return False
    return not _awaits_state(loop.test)


def _leaves_on_success(statements: list[ast.stmt]) -> bool:
    """Whether a ``return`` or ``break`` leaves the loop outside its ``except`` handlers (after the attempt
    succeeded), through ``if``/``with``/``try`` blocks but not inner loops or functions."""
    for statement in statements:
        if isinstance(statement, (ast.Return, ast.Break)):
            return True
        if isinstance(statement, ast.Try) and _leaves_on_success(statement.body + statement.orelse + statement.finalbody):
            return True
        if isinstance(statement, (ast.If, ast.With, ast.AsyncWith)) \
                and _leaves_on_success(statement.body + getattr(statement, "orelse", [])):
            return True
        if isinstance(statement, (ast.For, ast.AsyncFor, ast.While)) \
                and any(isinstance(n, ast.Return) for n in _walk_same_loop(statement.body)):
            return True  # a return from an inner loop leaves this one too
    return False


def _awaits_state(test: ast.expr) -> bool:
    """A loop test that reads state what the body calls can change (``while not self._session:``,
    ``while not client.connected()``): the loop ends when the attempt succeeds. A flag named for a
    lifetime (``while self.running``, ``while not stopping()``) lasts as long as the process instead."""
    names = [n.id if isinstance(n, ast.Name) else n.attr for n in walk_nodes(test) if isinstance(n, (ast.Name, ast.Attribute))]
    reads_state = any(isinstance(n, (ast.Attribute, ast.Call)) for n in walk_nodes(test))
    if CONNECTED_FLAG.search((dotted(test.func if isinstance(test, ast.Call) else test) or "").rsplit(".", 1)[-1]):
        return False  # while ws.connected: receive(): the life of a connection (``while not ws.connected`` awaits one)
    return reads_state and not any(LIFETIME_FLAG.search(name) for name in names)


def _walk_same_loop(statements: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of ``statements``, leaving out the ``break``s of inner loops (they end the inner loop
    only) and nested functions."""
    stack: list[tuple[ast.AST, bool]] = [(s, False) for s in reversed(statements)]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, ast.Break) and nested:
            continue
        yield node
        if isinstance(node, FUNCTION_TYPES + (ast.Lambda,)):
            continue
        inner = nested or isinstance(node, (ast.For, ast.AsyncFor, ast.While))
        stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))


def _runs_forever(fn: ast.AST) -> bool:
    """A function whose body is an endless ``while True:`` loop (no ``break`` of it, no ``return``):
    a listener. A retry decorator on it only reconnects the listener, once per process."""
    if any(isinstance(n, ast.Return) for n in walk_function_body(fn)):
        return False
    return any(isinstance(statement, ast.While) and isinstance(statement.test, ast.Constant) and statement.test.value
               and not any(isinstance(n, ast.Break) for n in _walk_same_loop(statement.body))
               for statement in fn.body)


def _first_sleep(module: SourceModule, statements: list[ast.stmt]) -> ast.Call | None:
    for statement in statements:
        for node in walk_nodes(statement):
            if isinstance(node, FUNCTION_TYPES + (ast.Lambda, ast.For, ast.AsyncFor, ast.While)):
                break  # a nested loop or function has its own story
            if isinstance(node, ast.Call) and _is_sleep(module, node):
                return node
    return None


def _is_sleep(module: SourceModule, call: ast.Call) -> bool:
    """``time.sleep(...)``, ``asyncio.sleep(...)``, or a name bound to one of them (``_sleep = asyncio.sleep`` at
    module level, ``sleep = sleep or asyncio.sleep`` in the function, a parameter ``sleep=time.sleep``), as code
    does to patch it in tests; also the ``sleep`` of a clock or sleeper object (``await self._clock.sleep(0.5)``,
    the Twisted way to wait)."""
    return call_name(module, call) in SLEEPS or isinstance(call.func, ast.Name) and call.func.id in _sleep_aliases(module) \
        or _is_clock_sleep(call)


CLOCK_NAME = re.compile(r"(?i)(clock|sleeper)$")


def _is_clock_sleep(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "sleep" \
        and bool(CLOCK_NAME.search((dotted(call.func.value) or "").rsplit(".", 1)[-1]))


def _sleep_aliases(module: SourceModule) -> set[str]:
    aliases = module.tree.__dict__.get("_sleep_aliases")
    if aliases is None:
        aliases = module.tree.__dict__["_sleep_aliases"] = {
            target.id for assign in module.nodes_of(ast.Assign)
            if any(qualified(module, value) in SLEEPS for value in _alternatives(assign.value))
            for target in assign.targets if isinstance(target, ast.Name)}
        for fn in module.nodes_of(ast.FunctionDef, ast.AsyncFunctionDef):  # def backoff(..., sleep=time.sleep)
            positional = [*fn.args.posonlyargs, *fn.args.args]
            defaults = zip(positional[len(positional) - len(fn.args.defaults):], fn.args.defaults)
            aliases |= {arg.arg for arg, default in [*defaults, *zip(fn.args.kwonlyargs, fn.args.kw_defaults)]
                        if default is not None and qualified(module, default) in SLEEPS}
    return aliases


def _alternatives(value: ast.expr) -> list[ast.expr]:
    """The values an expression may take: both sides of ``a or b``, both branches of ``a if t else b``."""
    if isinstance(value, ast.BoolOp):
        return [v for operand in value.values for v in _alternatives(operand)]
    if isinstance(value, ast.IfExp):
        return _alternatives(value.body) + _alternatives(value.orelse)
    return [value]


def _leaves_loop(statements: list[ast.stmt]) -> bool:
    return any(isinstance(n, (ast.Return, ast.Break)) for s in statements for n in walk_nodes(s))


def _deterministic(module: SourceModule, sleep: ast.Call, loop: ast.AST) -> bool:
    delay = sleep.args[0] if sleep.args else keyword(sleep, "seconds") or keyword(sleep, "delay")
    if delay is None or _is_zero(delay):
        return False
    fn = enclosing_function(module, loop)
    if _is_clock_sleep(sleep):  # a sleeper may take a key before the delay: sleep(destination, delay_ms)
        verdicts = {_randomness(module, arg, fn, set()) for arg in [*sleep.args, *(k.value for k in sleep.keywords)]}
        return verdicts == {"fixed"}
    return _randomness(module, delay, fn, set()) == "fixed"


def _randomness(module: SourceModule, expr: ast.expr, fn: ast.AST | None, seen: set[str]) -> str:
    """"random", "fixed", or "unknown" for a delay expression."""
    verdicts: set[str] = set()
    callees = {id(n.func) for n in walk_nodes(expr) if isinstance(n, ast.Call)}
    for node in walk_nodes(expr):
        if id(node) in callees:
            continue
        if isinstance(node, ast.Name) and "jitter" in node.id.lower() or isinstance(node, ast.Attribute) and "jitter" in node.attr.lower():
            return "random"
        if isinstance(node, ast.Call) and _reads_own_options(fn, node):
            verdicts.add("fixed")
            callees.add(id(node.func.value))  # (the options dict itself is no delay)
        elif isinstance(node, ast.Call):
            verdicts.add(_call_randomness(module, node))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in seen:
            seen.add(node.id)
            verdicts.add(_name_randomness(module, node.id, fn, seen))
    if "random" in verdicts:
        return "random"
    return "unknown" if "unknown" in verdicts else "fixed"


def _reads_own_options(fn: ast.AST | None, call: ast.Call) -> bool:
    """``kwargs.pop("count", retries)`` on the function's own ``**kwargs``: the caller's value, used as is."""
    return fn is not None and not isinstance(fn, ast.Lambda) and fn.args.kwarg is not None \
        and isinstance(call.func, ast.Attribute) and call.func.attr in ("get", "pop") \
        and isinstance(call.func.value, ast.Name) and call.func.value.id == fn.args.kwarg.arg


def _call_randomness(module: SourceModule, call: ast.Call) -> str:
    name = call_name(module, call) or ""
    if any(name == m or name.startswith(m + ".") for m in RANDOM_MODULES) or "jitter" in name.lower() or "random" in name.lower():
        return "random"
    if name in FIXED_FUNCTIONS or _constant_value_object(call):
        return "fixed"
    local = _local_function(module, name)
    if local is not None:
        return "random" if any(_call_randomness(module, c) == "random" for c in walk_nodes(local) if isinstance(c, ast.Call)) else "fixed"
    return "unknown"


def _constant_value_object(call: ast.Call) -> bool:
    """``Duration(milliseconds=500)``, ``timedelta(seconds=5)``: a value built from constants only."""
    name = (dotted(call.func) or "").rsplit(".", 1)[-1]
    return (name[:1].isupper() or name == "timedelta") and all(
        isinstance(a, ast.Constant) for a in [*call.args, *(k.value for k in call.keywords)])


def _name_randomness(module: SourceModule, name: str, fn: ast.AST | None, seen: set[str]) -> str:
    """What the assignments of ``name`` in the function (or module) make of it."""
    scope_nodes = list(walk_function_body(fn)) if fn is not None else list(walk_nodes(module.tree))
    values: list[ast.expr] = []
    for node in scope_nodes:
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                values.append(node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name) and node.target.id == name:
            values.append(node.iter)
    if not values:
        if fn is not None and _is_parameter(fn, name):
            return "fixed"  # the caller's delay, used as is
        if fn is not None:  # a closure's name: the decorator factory's retry(delay=2), or the module's
            return _name_randomness(module, name, enclosing_function(module, fn), seen)
        return "fixed" if name.isupper() or name in module.imports else "unknown"
    verdicts = {_randomness(module, v, fn, seen) for v in values}
    if "random" in verdicts:
        return "random"
    return "unknown" if "unknown" in verdicts else "fixed"


def _local_function(module: SourceModule, name: str) -> ast.AST | None:
    """A module function (``backoff_delay``) or a method called on self (``self._backoff``)."""
    if name.startswith(("self.", "cls.")) and name.count(".") == 1:
        attr = name.split(".", 1)[1]
        return next((n for n in walk_nodes(module.tree) if isinstance(n, FUNCTION_TYPES) and n.name == attr), None)
    return next((n for n in module.tree.body if isinstance(n, FUNCTION_TYPES) and n.name == name), None)


def _is_parameter(fn: ast.AST, name: str) -> bool:
    args = fn.args
    return any(a.arg == name for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])


# failures a loop retries at once by design: a unique-key collision (try the next slug), bad input, a stale read,
# a lost race on a local file (FileNotFoundError, FileExistsError, BlockingIOError of a non-blocking lock), and
# an unusable answer (a model's invalid or empty reply, generated code that does not compile): the remote answered
LOCAL_FAILURES = re.compile(r"Integrity|Unique|Duplicate|Conflict|ValueError|KeyError|IndexError|StopIteration|"
                            r"Validation|Stale|Deadlock|Serializ|FileNotFound|FileExists|BlockingIO|"
                            r"Invalid|Malformed|Empty|SyntaxError|ConditionalCheckFailed|PreconditionFailed")


def _retries_failure(module: SourceModule, statement: ast.Return | ast.Expr) -> bool:
    """Whether a ``sleep(); return self.f(...)`` runs again after a failure: in an ``except`` handler, or
    passing on an attempt count (``retries=retries + 1``), or under a test of one or of a status code.
    A function that calls itself again while a job is not done (``if not reply["jobComplete"]:``) polls."""
    if any(isinstance(p, ast.ExceptHandler) for p in _ancestors_in_function(module, statement)):
        return True
    call = _awaited(statement.value)
    if isinstance(call, ast.Call) and any(
            isinstance(n, ast.Name) and ATTEMPT_NAME.search(n.id) or isinstance(n, ast.keyword) and n.arg
            and ATTEMPT_NAME.search(n.arg) for n in walk_nodes(call)):
        return True
    tests = [p.test for p in _ancestors_in_function(module, statement) if isinstance(p, ast.If)]
    return any(ATTEMPT_NAME.search(n.id if isinstance(n, ast.Name) else n.attr) or
               isinstance(n, ast.Attribute) and "status" in n.attr
               for test in tests for n in walk_nodes(test) if isinstance(n, (ast.Name, ast.Attribute)))


def _ancestors_in_function(module: SourceModule, node: ast.AST) -> Iterator[ast.AST]:
    parent = module.parents.get(node)
    while parent is not None and not isinstance(parent, FUNCTION_TYPES):
        yield parent
        parent = module.parents.get(parent)


def _immediate_retry(module: SourceModule, project: Project, loop: ast.For | ast.AsyncFor | ast.While) -> ast.AST | None:
    """A bounded retry loop that tries again at once: a ``try`` that leaves the loop on success, a handler
    that counts the attempt (``tries_left -= 1``, or a header ``for attempt in range(3)``) and lets the
    loop go round again, and no sleep anywhere in the loop. Failures a loop retries at once by design (a
    unique-key collision, bad input) are left out. The finding is at the handler."""
    if _first_sleep(module, loop.body) is not None or _contains_inner_sleep(module, loop) \
            or _at_most_two_rounds(module, loop) or _waits_on_limiter(loop) or _waits_in_helper(module, project, loop):
        return None
    for statement in _attempts(loop.body):
        if not (_leaves_loop(statement.body) or _leaves_loop(statement.orelse)) or _tries_each_item(loop, statement):
            continue
        if isinstance(loop, ast.While) and _perpetual(loop, statement) or _waits_before(module, loop, statement):
            return None
        for handler in statement.handlers:
            caught = ast.unparse(handler.type) if handler.type is not None else ""
            if LOCAL_FAILURES.search(caught) or _lets_only_local_failures_go_round(handler) or not _goes_round(handler) \
                    or _catches_only_unraised(project, handler) or _repairs_first(module, handler) \
                    or _draws_new_value(module, statement):
                continue
            counted = any(isinstance(n, (ast.AugAssign, ast.Assign)) and any(
                isinstance(t, ast.Name) and ATTEMPT_NAME.search(t.id)
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target])) for n in walk_nodes(handler))
            if counted or _counts_attempts(loop):
                return handler
    return None


def _lets_only_local_failures_go_round(handler: ast.ExceptHandler) -> bool:
    """A handler that re-raises every error but one named for a lost race (``if exc.response["Error"]["Code"] !=
    "ConditionalCheckFailedException": raise``): a compare-and-set loop that reads again and retries at once."""
    first = handler.body[0] if handler.body else None
    return isinstance(first, ast.If) and all(isinstance(s, ast.Raise) for s in first.body) and any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and LOCAL_FAILURES.search(n.value)
        for n in walk_nodes(first.test))


def _draws_new_value(module: SourceModule, attempt: ast.Try) -> bool:
    """A ``try`` that draws a new random value before the call (``room_id = self._generate_room_id()``, a helper
    using ``random``/``secrets``): a collision retried with a new key, not the same call sent again."""
    return any(isinstance(s, ast.Assign) and isinstance(s.value, ast.Call)
               and _call_randomness(module, s.value) == "random" for s in attempt.body)


REPAIR_NAME = re.compile(r"(?i)^_?(re_?connect|re_?init\w*|initiali[sz]e\w*|init_\w+|re_?login|login|re_?open|"
                         r"re_?authenticate|open_session|new_session|reset_(session|connection|client)s?)$")


def _repairs_first(module: SourceModule, handler: ast.ExceptHandler) -> bool:
    """A handler that opens a new session before the loop goes round (``self.initialize_hsm()``,
    ``self.reconnect()``) outside a ``try`` of its own: a failed re-opening raises out of the loop, so the loop
    only tries again once the service has taken a new session; the failure retried was a stale handle, not
    an overloaded dependency."""
    return any(isinstance(n, ast.Call) and REPAIR_NAME.match((dotted(n.func) or "").rsplit(".", 1)[-1])
               and not any(isinstance(p, ast.Try) for p in takewhile(lambda p: p is not handler, ancestors(module, n)))
               for n in _walk_same_loop(handler.body))


LIMITER_NAME = re.compile(r"(?i)throttl|limiter|token_?bucket|rate_?limit")


def _waits_on_limiter(loop: ast.AST) -> bool:
    """A loop that waits on a rate limiter before each attempt (``self._throttler.wait_until_ready()``,
    ``await limiter.acquire()``): the limiter paces the retries, they do not go again at once."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and LIMITER_NAME.search(ast.unparse(n.func.value)) for n in walk_nodes(loop))


BACKOFF_HELPER = re.compile(r"(?i)backoff|sleep|pause")


def _waits_in_helper(module: SourceModule, project: Project, loop: ast.AST) -> bool:
    """A loop that waits through a helper named for it (``backoff(failures=attempt)``): a project function
    whose body sleeps, or a library's (servicelayer's ``backoff`` sleeps a growing delay plus ``random.random()``),
    whose wait is not seen here: the loop does not go round at once."""
    for call in (n for n in walk_nodes(loop) if isinstance(n, ast.Call)):
        if not BACKOFF_HELPER.search((dotted(call.func) or "").rsplit(".", 1)[-1]):
            continue
        helper = resolve_function(module, project, call, reexports=True)
        if helper is not None:
            if any(isinstance(n, ast.Call) and _is_sleep(helper[0], n) for n in walk_nodes(helper[1])):
                return True
        elif (call_name(module, call) or "").split(".", 1)[0] not in {m.dotted_name.split(".", 1)[0]
                                                                       for m in project.modules}:
            return True  # a library's helper
    return False


WAIT_CALL = re.compile(r"(?i)^_?(wait_for|wait_until|settle)|_settle$")


def _waits_before(module: SourceModule, loop: ast.AST, attempt: ast.Try) -> bool:
    """A loop that waits for a state before each attempt (``await wait_for_navigation_settle(frame)``,
    ``self.wait_until_ready()`` at the top of its body): a round starts when the awaited state is there, not at
    once. (``asyncio.wait_for(...)`` bounds a call: not such a wait.)"""
    before = loop.body[:next((i for i, s in enumerate(loop.body) if any(n is attempt for n in walk_nodes(s))), 0)]
    return any(isinstance(n, ast.Call) and WAIT_CALL.search((dotted(n.func) or "").rsplit(".", 1)[-1])
               and not (call_name(module, n) or "").startswith(("asyncio.", "trio.", "anyio."))
               for statement in before for n in walk_nodes(statement))


def _goes_round(handler: ast.ExceptHandler) -> bool:
    """Whether the loop may go round again after the handler: it ``continue``s, or does not end in a
    ``raise``/``return``/``break``."""
    if any(isinstance(n, ast.Continue) for n in _walk_same_loop(handler.body)):
        return True
    return bool(handler.body) and not isinstance(handler.body[-1], (ast.Raise, ast.Return, ast.Break))


def _contains_inner_sleep(module: SourceModule, loop: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and _is_sleep(module, n) for n in walk_nodes(loop))
