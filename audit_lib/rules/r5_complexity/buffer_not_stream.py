"""R5.buffer-not-stream: a whole payload read into memory where it could flow through.

## What it does
Reports whole payloads read into memory where streaming fits. That is:

- an HTTP response body read whole (`response.content`, `.text`, `.read()`, requests or
  httpx or urllib or aiohttp, also after `stream=True`, which only defers the download, or of a parameter annotated as a
  response) and then written to a file or handed back as the body of a file response:
  a download buffered in memory (also stored through Django's `field.save(name, ContentFile(data))`,
  except into a logo, avatar, icon or thumbnail field: a small picture the provider scaled down).
  A function of the project that returns such a body whole (`return response.content`) is a
  download too, at each call, and so is a body handed to a function of the project that writes
  that parameter to a file (`self.write_image(r.read(), ext)` where `write_image` does
  `f.write(file_data)`). A pycurl transfer written into a `BytesIO` (`setopt(pycurl.WRITEDATA, buffer)`)
  with no `MAXFILESIZE` cap buffers the body the same way. A response handed to a function of the project
  (`save_image(response)`) is followed into that function's parameter. A body stored whole in a cache
  (`cache.set(key, response.content)`) is held twice, in the worker and in the cache, and one handed whole
  to an upload (`upload_media(data)`, `upload_file(...)`, boto3's `put_object(Body=data)`) is relayed through
  memory, unless the function compares the announced size with a cap first (`resp.headers["Content-Length"]`, `resp.content_length`;
  after a request that already read the body the guard is reported itself, below).
  A function of the project that makes a request and hands its response back unread (`return
  self.http.get(url, headers=headers)`, a context-manager generator yielding one, or a wrapper of such a
  function, also through a name bound once to it, or a call of requests-hardened's `Manager.send_request`; not one named like a generic verb,
  `get`, `send`) is a request at each call
  (`async with api.fetch_raw(url) as resp`). A download of an address written in the code (a string
  literal, a module constant, a class attribute) is one known document whose size the
  authors chose, and is not reported;
- an upload read whole: `await upload.read()` of a FastAPI/Starlette `UploadFile` (also an item of
  `await request.form()`, one a function of the project is annotated to hand back, `-> UploadFile` or a
  slot of `-> tuple[str, UploadFile]` unpacked at the call, and the parameter of a helper that every call hands
  an annotated upload of its caller, `await self._process_file(file)` in a route taking `file: UploadFile`), `request.files[...].read()` (Flask) and
  `request.FILES[...].read()` (Django, also `self.files[...]` in a Django form) with no size, a parameter annotated as
  Django's or werkzeug's uploaded file (`content: TemporaryUploadedFile`), the file an upload object wraps copied
  whole into a file opened for writing (`f.write(file.file.read())`), each file of
  `request.FILES.getlist(...)` / `request.files.values()` / a handler's `files: list[UploadFile]` read in a loop,
  each part of an aiohttp `await request.multipart()` read whole (`await field.read()`), the file a DRF
  serializer's `validate_<field>(self, value)` is given for a `FileField`
  (`value.file.read()`: the file Django spooled to disk, back in memory whole), and `.read()` of a value the code checks to be an uploaded file
  (`isinstance(storage, FileStorage)`: werkzeug, Django, Starlette), of its stream, or of the
  name or attribute it binds them to (`self.upload_file = storage.stream`). An upload whose content is
  stored as a field of a model object (`event.stylesheet = f.read().decode()`) must be read whole: the
  database keeps it whole, and so is the text of one decoded into an item of a mapping (`settings[key] =
  value.file.read().decode()`: a form's setting or credential given as a file); one whose size the handler compared with a cap before reading it
  (`if file.size > 10 * 1024 * 1024: return ...`) is bounded, and one decoded whole (`Image.open(BytesIO(data))`,
  `json.loads(data)`, `yaml.safe_load(data)` or any YAML or TOML module's loader, also in a thread, or handed to a function
  named for a picture, `register_face(name, data)`, or to a function of the project that parses that parameter as a
  document, `parse_workflow(raw)` doing `yaml.safe_load(raw)`) has to be read whole: a configuration document is parsed whole. Flask's raw request body handed to a function of the project that copies that
  parameter whole into an in-memory buffer (`process_file(request.stream)` where every `process_file` does
  `fp = BytesIO()` / `fp.write(stream.read())`) is an upload read whole too, reported at the call;
- `await request.body()` (Starlette/FastAPI), unless the body is parsed as JSON or YAML (also by a function of
  the project that parses that parameter) or checked against a signature, which need it whole, or returned to a caller,
  or put back for the application to read (a middleware's `set_body(request, body)`, a function of the project
  that swaps `request._receive` for one replaying it: it must be held whole to be replayed); and aiohttp's
  `await request.read()` handed on as the body of an outbound HTTP request (a proxy that could
  stream it: `data=request.content`) or written to a file, directly (`out.write(content)`) or by a
  function of the project that writes that parameter (`save_upload(content, name)`): an upload that
  could be copied to the disk in chunks. Kept in memory (`BytesIO(content)`) it is not reported;
- a size guard that reads Flask's (or Quart's) whole request body to measure it (`len(request.get_data()) >
  max_size`, `len(request.data)`): the largest body a client sends is in memory before it is refused, where
  `request.content_length` tells the size first. Taking the length of anything else (`len(request.args)`) is not
  reported;
- a size guard on a download that runs after the download: a requests or httpx request without `stream=True` (or a
  request function of the project, `response = requests.request(...)` ... `return response`, called with
  `stream=False`) whose announced size is then compared with a cap (`int(response.headers["Content-Length"]) >
  MAX_SIZE`): the client read the whole body before it returned (a HEAD request has none);
- `fetchall()` of a literal `SELECT` with no `LIMIT`, no `WHERE` and no `GROUP BY`, also a SQLAlchemy result read
  into a list (`result.all()`, `list(result)`, `[dict(r) for r in result.mappings()]`) of one that `LEFT JOIN`s
  each row of a table to what the data holds about it (per-user counts: a report over the whole table; a plain
  lookup table, licenses or languages, holds a handful), and one whose only joins are `LEFT JOIN`s, which keep
  every row of the table on the left (also one whose `WHERE`
  is appended only when a parameter that defaults to None is given, `if where: sql += " WHERE " + where`
  after `where = build_where(filters)` with `filters=None`: a caller that passes nothing reads it whole):
  the whole table in one list (the database's own catalog, `pg_collation`,
  `information_schema.tables`, `sqlite_master`, and the migration tool's `alembic_version` or `*migrations` table
  are sized by the schema and are not reported, nor is Oracle's and MySQL's one-row `dual`, nor a table followed
  by a clause the code fills in
  (`FROM t {where}`), and a query of a `WITH` clause's table is judged by that table's own query:
  `WITH mine AS (... WHERE owner_id = %s) SELECT ... FROM mine` is filtered). A function that runs
  `ALTER TABLE` or `CREATE TABLE` (SQLAlchemy's `table.create(bind=engine)`, `metadata.create_all()`) is a schema
  upgrade run once, and its reads are not reported; so is a SQLAlchemy Core `table.select()` with nothing chained to
  it whose rows are read into a list (`.fetchall()`, `.all()`, a list comprehension over the
  result or its `.mappings()`): a database dump that holds every table at once.
- every row of a model's table loaded only to be counted (`len(Model.objects.all())`, `len(Model.query.all())`,
  `len(session.query(Model).all())`, `len(session.execute(select(Model)).scalars().all())`,
  `len(list(Model.objects.filter(active=True)))`): `.count()` counts in the
  database. Rows a filter by a value picks (`filter(owner=user)`) or one object's relation (`queue.tickets.all()`)
  are few and are not reported. A subclass of Django's `Paginator` whose `count` is `len(self.object_list)` is
  reported too: every row the view's filter picks is loaded on each page request, where Django counts with `.count()`;
- every row of a model's table loaded into one list in a request handler (`Source.query.filter_by(pending=False).all()`,
  `db.session.query(Source).outerjoin(...).all()`, `list(Model.objects.all())`, `[b.title for b in Bookmark.objects.all()]`)
  and served: each request loads the whole table, however large it has grown. Rows a filter by a value picks
  (`filter_by(project_id=project_id)`), a slice or a `limit()` are not reported, nor are models of a handful of rows
  (above) or models only administrators add rows to (every `Journalist(...)` made in a handler only administrators
  reach or in code an operator runs: a newsroom's staff accounts), nor a handler whose rows are reported already
  (as an export built in memory, a count);
- a log file read whole to be walked line by line (`raw = f.read(); for line in raw.split("\\n")`, `f.readlines()`,
  `log_path.read_text().splitlines()` of a path named for a log: `get_log_file_path()`, `LOG_FILE`, `"app.log"`):
  the file grows for as long as the service runs, and `for line in f` reads it a line at a time. One read from
  its tail (`f.seek(-1024, os.SEEK_END)` first) or read whole to be sent back whole is not reported;
- a downloaded body read whole only to be walked line by line (`for line in response.text.splitlines()`, also
  through names, `raw = r.content.decode()`, and `split("\\n")`): a job log or a blocklist feed held whole, text and
  lines at once, where `iter_lines()` of a `stream=True` request holds one chunk. A list made of every line
  (`[json.loads(line) for line in r.text.splitlines()]`) keeps the whole anyway and is not reported, nor is a body
  split otherwise (`text.split(",")`) or a download of an address written in the code. So is a pod's log the
  kubernetes client reads whole (`read_namespaced_pod_log(name=pod, namespace=ns)`, also handed to a wrapper
  that calls it) and walks by line, where `_preload_content=False` streams it (`tail_lines` or `limit_bytes`
  bound it);
- a downloaded archive or compressed feed unpacked in memory (`gzip.decompress(response.content)`,
  `ZipFile(BytesIO(response.content))`, `tarfile.open(fileobj=BytesIO(payload))`, `bz2.open(BytesIO(r.content))`,
  `GzipFile(fileobj=BytesIO(r.content))`): packed and unpacked bytes are
  held at once, where `stream=True` and `iter_content()` copy it to a temporary file to open (not a download of
  an address written in the code, nor an archive one member of which is read whole, `zf.read(name)`, needed in
  memory anyway);
- an object of a storage service downloaded whole (`s3.get_object(Bucket=b, Key=key)["Body"].read()`, GCS's
  `blob.download_as_bytes()`, Azure's `(await blob.download_blob()).readall()`, boto3's
  `s3.download_fileobj(bucket, key, buffer)` into a `buffer = BytesIO()`): as large as whoever stored it
  made it. One at a key written in the code is a known document, and one parsed as JSON is needed whole;
- a file opened and read whole only to compute its digest (`hashlib.sha256(f.read())`,
  `digest.update(open(path, "rb").read())`), also a file-like object a caller hands in (`hashlib.md5(file.read())`
  of a stored upload, unless its `size` is compared with a cap first): `hashlib.file_digest(f, "sha256")` feeds it
  in chunks (the files of the application's static folder, `app.static_folder`, are its own assets and are not
  reported);
- a size cap checked on a payload already read whole: a file that decompresses as it is read
  (`data = gzip.open(path).read()`, also `bz2`, `lzma`, `zstandard`), a zip member (`zf.read(name)`) or a downloaded
  body (`resp.text`), then `if len(data) > MAX_SIZE`: the largest payload is in memory before it is refused, where
  `fd.read(MAX_SIZE + 1)`, the member's `ZipInfo.file_size` or `Content-Length` with `stream=True` tell the size
  first (a check against zero, or a lower bound, `len(data) < 16`, is no cap);
- a zip archive built in a `BytesIO` (`ZipFile(buffer, "w")`) and sent back as a response body
  (`HttpResponse(buffer.getvalue())`, `send_file(buffer)`, `StreamingResponse`, also through a name,
  `zipped = buffer.getvalue()`, written into a response, `response.write(zipped)`): every file packed into it
  is in memory at once (not in a handler only administrators reach, or a helper only such handlers call); also one
  such archive a function hands back (`return buffer`, `return name, buffer, size`, for its callers to send), or
  stores from memory (`ContentFile(buffer.getvalue())`, an `upload_...()` or `put_object`), reported at the `BytesIO()`;
- a file opened and read whole only to be copied into a zip archive (`zip_file.writestr(path, f.read())`
  in `with file.open() as f`, `zip_file.writestr(name, user_file.file.read())` of a stored file field, or
  `zip_file.writestr(path, fobj.read())` of `fobj = handler.get_file_object()`, a function of the project one
  definition of which returns a file it read whole): `zip_file.write()` or `copyfileobj` into
  `zip_file.open(name, "w")` copy it in chunks;
- a function annotated to hand back a file object (`-> BinaryIO`) that returns a file it opened copied whole
  into memory (`stream = BytesIO(f.read())` / `return stream`): the open file would do (one every definition of
  which does so is reported where its file is sent back);
- a file-like object a caller hands in read whole only to be written to a file the function opened for writing
  (`fout.write(body.read())` in `with smart_open.open(uri, "wb") as fout`): `shutil.copyfileobj(body, fout)` copies
  it in chunks, whatever size the caller's stream is; so is one uploaded whole to Google Cloud Storage
  (`content = data.read()` / `blob.upload_from_string(content)`), where `blob.upload_from_file(data)` streams it;
- a stored file read whole to be sent back as a response body (`HttpResponse(f.read())` in `with open(path)
  as f`, `open(path, "rb").read()`, also through a function of the project that returns it,
  `HttpResponse(_read_asset(asset))`, also written into a response the handler made, `resp = web.StreamResponse()` ...
  `await resp.write(data)`, or returns a file it downloaded from a storage back-end whole,
  `return io.BytesIO(response.content)`, on every definition of that name but stubs that only raise, also
  in modules that read nothing, so `redirect(url).get_data()` is not taken for a project's `get_data`):
  `FileResponse(open(path, "rb"))` or `send_file(path)` stream it. A file at a path written in the code (a
  bundled template, also through a constant of the module holding such a path or an environment variable
  defaulting to one, `os.environ.get("DEFAULT_ICON", os.path.join(os.path.dirname(__file__), "icon.png"))`) is one
  known document and is not reported;
- a CSV export built whole in memory: a request handler that gathers rows in a loop
  (`csv_content.append(row)` for each result) and hands the list to a function of the project that
  writes it with a `csv` writer into a `StringIO` and returns it (`build_csv_response(csv_content)`,
  also through a wrapper that passes it on). Rows gathered from a slice with a fixed end
  (`query[:10000]`) or from one object's children (`playlist["shots"]`) are few and are not reported;
- a CSV export written whole in memory in the handler itself: it walks every row of a query (`.all()`, no
  slice) writing each with a `csv` writer into a `StringIO`, or hands them all to `writer.writerows(...)`
  (also the columns it picks, `Entry.objects.all().values_list("id", "title")`), and sends that buffer back
  (`make_response(buffer.getvalue())`, `send_file(buffer)`);
- an export document built whole in memory: a request handler hands every row of a Django query (no slice,
  `list(Bookmark.objects.filter(owner=user))`) to a function of the project that walks them and returns the
  pieces it gathered joined into one text (`return "\\n".join(doc)`), and sends that text back
  (`HttpResponse(content)`, `response.write(content)`);
- a GraphQL connection whose page is cut from a list of every row the query returns
  (`connection_from_list([Node(r) for r in (await session.scalars(query)).all()], args)`,
  graphql-relay's `connection_from_array`): each page loads the whole result; a query with a `.limit()`
  in the resolver, or `connection_from_array_slice` of a page the database cut, is fine;
- a DRF page cut from every row serialized (`self.paginate_queryset(ShelfSerializer(shelves, many=True).data)`):
  each page request serializes the whole filtered queryset, where `ShelfSerializer(self.paginate_queryset(shelves),
  many=True)` serializes the page alone;
- a `SpooledTemporaryFile()` without `max_size` (or with 0) that a stream is copied into in chunks (a loop of
  `write()`s, `shutil.copyfileobj`): it never rolls over to disk, so the whole stream ends up in memory;
- a `FileField` of a Django model sent back through `HttpResponse` (`HttpResponse(content=cache.data)`,
  `HttpResponse(item.upload.read())`): the stored file (an S3 object too) is read whole into the worker, where
  `FileResponse(item.upload.open("rb"))` streams it (not a field named for a small picture, nor a name another model
  declares as another kind of field);
- every row of a Django queryset walked to be written into a file opened for writing (`for item in
  model_class.objects.all(): f.write(...)` in `with gzip.open(path, "wt") as f`, also through a `csv` writer of it):
  the queryset's cache holds the whole table, where `.iterator(chunk_size=2000)` streams it (a slice with a fixed end
  is few rows);
- each member of a zip archive read whole in a loop over its members and handed on (`group.add_entry(unzip.read(entry),
  entry.filename)` for each of `unzip.infolist()`): however large a member unpacks, it is in memory whole, where
  `unzip.open(entry)` reads it in chunks (a member parsed whole, `json.loads(zf.read(name))`, is needed whole).

Downloads and stored files sent back by a function named for a small picture (`get_image_thumbnail`, `map_tile`,
`user_avatar`, `save_cover` of a book) are a few kilobytes and are not reported. Uploads and request bodies in handlers only
administrators reach (`@admins_only`, `@staff_member_required`, `Depends(check_admin)`,
`dependencies=[DependsSuperUser]`), and in the functions only such handlers, an operator's command line or other
such functions call, are the operator's to size and are not reported. Bounded reads (`read(65536)`), `iter_content()`, `iter_bytes()`, `stream()`,
`shutil.copyfileobj`, `fetchmany()`, server-side (named) cursors, small JSON bodies and
queries with a filter or a limit are fine. Test code, migration revisions, Django management commands
(run by an operator from a shell), `docs/` and `examples/`, set-up modules (`seed.py`) and scripts outside the service's packages that only a
`__main__` block runs are not audited.

## Why is this bad?
A buffered payload costs as much memory as it is large, per request: ten concurrent
500 MB exports need 5 GB, and one large upload can get the worker killed by the OOM
killer, taking every other request on it down too. Streaming keeps memory flat
whatever the size (Backend Posture R5, S3).

## Example
```python
def download_report(url, path):
    response = requests.get(url, timeout=30)
    with open(path, "wb") as out:
        out.write(response.content)
```

## Use instead
```python
def download_report(url, path):
    with requests.get(url, stream=True, timeout=30) as response:
        with open(path, "wb") as out:
            for chunk in response.iter_content(chunk_size=65536):
                out.write(chunk)
```

## References
- requests: https://requests.readthedocs.io/en/latest/user/advanced/#body-content-workflow
- FastAPI UploadFile: https://fastapi.tiangolo.com/tutorial/request-files/
- psycopg server-side cursors: https://www.psycopg.org/psycopg3/docs/advanced/cursors.html#server-side-cursors
"""

from __future__ import annotations

import ast
import re
from typing import Callable, Iterable, Iterator

import sqlglot
from sqlglot import exp

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db, http
from audit_lib.pyast import (
    FUNCTION_TYPES,
    call_name,
    dotted,
    enclosing_function,
    has_main_block,
    is_none,
    keyword,
    method_name,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.libs.web import handler_of
from audit_lib.operator_code import is_offline_file
from audit_lib.registry import rule
from audit_lib.rules.r5_complexity._common import opened_files, own_parameters, runs_offline
from audit_lib.source import Project, SourceModule, is_management_command, is_test_path

WHOLE_READ_MARKERS = ("fetchall", ".body(", ".read(", "get_data(", ".data)", "Response", ".aread(", ".content", ".text", "WRITEDATA", "WRITEFUNCTION",
                      ".select()", "csv", "writestr", "connection_from_",
                      "download_as_", ".readall(", "ZipFile", ".stream", ".readlines(", ".read_text(", "len(",
                      "paginate_queryset", "SpooledTemporaryFile", "read_namespaced_pod_log", "objects.", ".all()")
WHOLE_BODY_ATTRIBUTES = {"content", "text"}
WHOLE_BODY_METHODS = {"read", "aread", "text"}
FILE_SINK_METHODS = {"write", "write_bytes", "write_text", "writelines"}
SMALL_PICTURE_FIELDS = re.compile(r"logo|avatar|icon|thumbnail", re.I)
# A function named for one small picture (``get_image_thumbnail``, ``map_tile``, ``user_avatar``): what it
# downloads or sends back is a few kilobytes however large the originals are.
SMALL_PICTURE_HANDLERS = re.compile(
    r"(^|_)(thumbnails?|thumbs?|tiles?|icons?|favicons?|avatars?|logos?|covers?)(_|$)", re.I)
RESPONSE_SINKS = {"Response", "HttpResponse", "FileResponse", "send_file", "make_response", "StreamingHttpResponse"}
UPLOAD_PREFIX = "upload"  # ``upload_media(data)``, ``upload_file(...)``: the body goes whole to another store
OBJECT_PUTS = {"put_object"}  # boto3's ``s3.put_object(Body=data)``: an upload too
BYTES_WRAPPERS = {"BytesIO", "StringIO", "ContentFile"}  # ContentFile: Django's in-memory file to store
UPLOAD_CLASSES = {"fastapi.UploadFile", "starlette.datastructures.UploadFile", "fastapi.datastructures.UploadFile"}
# A parameter annotated as Django's or werkzeug's uploaded file (``content: TemporaryUploadedFile``) is an upload too.
ANNOTATED_UPLOAD_CLASSES = {*UPLOAD_CLASSES, "django.core.files.uploadedfile.UploadedFile",
                            "django.core.files.uploadedfile.TemporaryUploadedFile",
                            "django.core.files.uploadedfile.InMemoryUploadedFile",
                            "werkzeug.datastructures.FileStorage", "werkzeug.FileStorage"}
RESPONSE_CLASSES = {"requests.Response", "requests.models.Response", "httpx.Response", "aiohttp.ClientResponse"}
REQUEST_CLASSES = {"fastapi.Request", "starlette.requests.Request", "starlette.requests.HTTPConnection"}
UPLOAD_CONTAINERS = {"files", "FILES"}
REQUEST_NAMES = {"request", "req"}
GLOBAL_REQUESTS = {"flask.request", "quart.request"}
# Calls that need the whole request body: JSON parsing and signature checks.
WHOLE_BODY_CONSUMERS = re.compile(r"loads|json|hmac|verify|signature|construct_event|parse_raw|model_validate|"
                                  r"(yaml|toml)\w*\.\w*load", re.I)
PLACEHOLDERS = re.compile(r"%\(\w+\)s|%s\b|(?<![:\w]):[A-Za-z_]\w*|\?|\$\d+")


@rule("R5.buffer-not-stream", on="module", scope="code", severity="medium")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if runs_offline(module, project) or is_management_command(module.path) \
            or not any(marker in module.text for marker in WHOLE_READ_MARKERS):
        return
    scopes: list[ast.AST] = [n for n in walk_nodes(module.tree) if isinstance(n, FUNCTION_TYPES)]
    reported: set[int] = set()
    for fn in scopes:
        nodes = list(walk_function_body(fn))
        small_picture = bool(SMALL_PICTURE_HANDLERS.search(fn.name))
        findings = [*([] if small_picture else _downloads(module, project, fn, nodes)),
                    *_curl_buffers(module, nodes),
                    *_uploads(module, project, fn, nodes), *_request_bodies(module, project, fn, nodes),
                    *_request_streams_buffered(module, project, fn, nodes), *_bodies_read_to_measure(module, nodes),
                    *_late_size_guards(module, project, nodes),
                    *_fetchalls(module, fn, nodes), *_rows_loaded_to_count(module, project, nodes),
                    *_whole_tables(module, nodes), *_zip_copies(module, project, nodes),
                    *([] if small_picture else _files_sent_whole(module, project, nodes)),
                    *([] if small_picture else _files_sent_by_base(module, project, fn, nodes)),
                    *([] if small_picture else _file_objects_copied(module, project, fn, nodes)),
                    *_stored_objects_read_whole(module, nodes),
                    *_whole_file_hashes(module, fn, nodes), *_log_files_read_whole(module, nodes),
                    *_payloads_measured_after_reading(module, project, fn, nodes),
                    *_bodies_walked_by_line(module, project, fn, nodes), *_pod_logs_walked_by_line(module, nodes),
                    *_downloads_unpacked_in_memory(module, project, fn, nodes), *_archives_built_in_memory(module, project, fn, nodes),
                    *_memory_exports(module, project, fn, nodes), *_csv_written_in_place(module, project, fn, nodes),
                    *_documents_built_whole(module, project, fn, nodes),
                    *_pages_cut_in_memory(module, nodes), *_serialized_before_paging(module, nodes),
                    *_spools_kept_in_memory(module, nodes),
                    *([] if small_picture else _stored_fields_sent_whole(module, project, nodes)),
                    *_querysets_exported_whole(module, nodes), *_archive_members_passed_on(module, nodes),
                    *_handed_streams_copied_whole(module, fn, nodes)]
        # a handler whose rows are reported already (as an export built in memory, a count) is not reported again
        for finding in findings or _tables_served_whole(module, project, fn, nodes):
            if finding.line not in reported:
                reported.add(finding.line)
                yield finding


# -- downloads ----------------------------------------------------------------------------


def _responses(module: SourceModule, project: Project, fn: ast.AST, nodes: list[ast.AST]) -> set[str] | None:
    """The names that hold an unstreamed response in the function (its own requests', a parameter annotated as a
    response or handed one), or None where the function can hold none."""
    handed = _handed_responses(project).get(getattr(fn, "name", ""), set())
    requests_made = _makes_requests(module, project)
    if not requests_made and not handed:
        return None
    responses = {a.arg for a in _arguments(fn) if _annotated_as(module, a.annotation, RESPONSE_CLASSES)}
    responses |= {name for i, name in enumerate(own_parameters(fn)) if i in handed or name in handed}
    if requests_made:
        responses |= _response_names(module, project, nodes)
    return responses


def _downloads(module: SourceModule, project: Project, fn: ast.AST, nodes: list[ast.AST]) -> Iterator[Finding]:
    read_of = _payload_reader(module, project, fn, nodes)
    if read_of is None:
        return
    for node in (n for n in nodes if isinstance(n, ast.Call)):
        for arg in [*node.args, *(kw.value for kw in node.keywords if kw.arg in (None, "content", "body", "Body", "data"))]:
            read = read_of(arg)
            if read is None:
                continue
            handed_to_writer = not _is_sink(module, node) and _writes_argument(project, node, arg)
            cached = _caches(node, arg)
            relayed = ((method_name(node) or "").startswith(UPLOAD_PREFIX) or method_name(node) in OBJECT_PUTS) \
                and not _size_checked(nodes)
            if not (handed_to_writer or cached or relayed or _is_sink(module, node)):
                continue
            written = handed_to_writer or method_name(node) in FILE_SINK_METHODS | {"save"}
            yield Finding(
                message="a downloaded body is read whole into memory before it is "
                        + ("stored in the cache" if cached else "written out" if written
                           else f"uploaded again (by {method_name(node)}())" if relayed else "sent back")
                        + (f" (by {_callee(node)}())" if handed_to_writer else ""),
                path=module.path, line=read.lineno, end_line=read.end_lineno, evidence=module.evidence(read),
                fix="request with stream=True and copy response.iter_content(65536) (httpx: client.stream() and "
                    "iter_bytes()) to the file or a StreamingResponse",
            )


def _payload_reader(module: SourceModule, project: Project, fn: ast.AST,
                    nodes: list[ast.AST]) -> Callable[[ast.expr], ast.expr | None] | None:
    """For a function that holds a response: what tells the whole read of a downloaded body that an expression is,
    directly, wrapped (``BytesIO(r.content)``) or by the name bound to it (``payload = r.content``)."""
    responses = _responses(module, project, fn, nodes)
    if responses is None:
        return None
    payload_names = {node.targets[0].id: node.value for node in nodes
                     if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                     and _whole_body(module, project, node.value, responses) is not None}

    def read_of(arg: ast.expr) -> ast.expr | None:
        payload = _unwrap_bytes(module, arg)
        read = _whole_body(module, project, payload, responses)
        if read is None and isinstance(payload, ast.Name):
            return payload_names.get(payload.id)
        return read

    return read_of


DECOMPRESSORS = {"gzip.decompress", "zlib.decompress", "bz2.decompress", "lzma.decompress"}


def _downloads_unpacked_in_memory(module: SourceModule, project: Project, fn: ast.AST,
                                  nodes: list[ast.AST]) -> Iterator[Finding]:
    """``gzip.decompress(response.content)``, ``ZipFile(BytesIO(response.content))``, ``tarfile.open(fileobj=
    BytesIO(payload))``: a downloaded archive or compressed feed held whole, packed and unpacked at once, where
    ``stream=True`` and ``iter_content()`` copy it to a temporary file to open (or ``GzipFile(fileobj=
    response.raw)`` decompresses it as it arrives). A download of an address written in the code is not reported."""
    read_of = _payload_reader(module, project, fn, nodes)
    if read_of is None:
        return
    for node in (n for n in nodes if isinstance(n, ast.Call)):
        name = qualified(module, node.func) or ""
        if name in DECOMPRESSORS or name.endswith("ZipFile") or name in DECOMPRESSING_OPENS and node.args:
            packed = node.args[0] if node.args else None
        elif name == "tarfile.open" or name in DECOMPRESSING_OPENS:
            packed = keyword(node, "fileobj")
        else:
            continue
        read = None if packed is None else read_of(packed)
        if read is not None and not _member_read_whole(node, nodes):
            yield _medium_finding(module, read,
                                  "a downloaded archive (or compressed feed) is read whole into memory to be unpacked",
                                  "request with stream=True and copy response.iter_content(65536) to a temporary "
                                  "file, then open the archive from it (or GzipFile(fileobj=response.raw))")


def _member_read_whole(archive: ast.Call, nodes: list[ast.AST]) -> bool:
    """``with ZipFile(BytesIO(r.content)) as zf: return zf.read(name)``: a member read whole is needed in memory
    anyway (one sample of an archive, handed on as bytes)."""
    names = {target for target, call in _bindings(nodes) if call is archive}
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "read"
               and isinstance(n.func.value, ast.Name) and n.func.value.id in names for n in nodes)


def _bodies_walked_by_line(module: SourceModule, project: Project, fn: ast.AST,
                           nodes: list[ast.AST]) -> Iterator[Finding]:
    """``for line in response.text.splitlines()`` (also through names, ``raw = r.content.decode()``, and
    ``split("\\n")``): a downloaded log or feed held whole, text and lines at once, only to be walked one line at a
    time, where ``iter_lines()`` of a ``stream=True`` request reads it a chunk at a time. A list built of every
    line (``[json.loads(line) for line in r.text.splitlines()]``) keeps the whole anyway, and is not reported."""
    responses = _responses(module, project, fn, nodes)
    if responses is None:
        return
    reads = [n for n in nodes if isinstance(n, (ast.Attribute, ast.Call, ast.Await))
             and _whole_body(module, project, n, responses) is not None]
    for read in _reads_walked_by_line(nodes, reads):
        yield _medium_finding(module, read, "a downloaded body is read whole into memory to be walked line by line",
                              "request with stream=True and walk response.iter_lines() (httpx: client.stream() "
                              "and aiter_lines()), which holds one chunk at a time")


# Keywords of kubernetes' read_namespaced_pod_log that bound what it reads, or hand back the stream unread.
POD_LOG_BOUNDS = {"tail_lines", "limit_bytes", "_preload_content"}


def _pod_logs_walked_by_line(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``text = core.read_namespaced_pod_log(name=pod, namespace=ns)`` (also called through a wrapper handed the
    method, ``self._call(core.read_namespaced_pod_log, **args)``) walked by ``text.splitlines()``: the
    kubernetes client reads the pod's whole log into one string, where ``_preload_content=False`` (with
    ``follow=True``) hands back a stream to walk a line at a time. A read cut by ``tail_lines`` or
    ``limit_bytes`` is bounded."""
    bounded = {k.value for n in nodes if isinstance(n, ast.Dict) for k in n.keys
               if isinstance(k, ast.Constant) and k.value in POD_LOG_BOUNDS}
    reads = [n for n in nodes if isinstance(n, ast.Call) and not bounded
             and not any(k.arg in POD_LOG_BOUNDS for k in n.keywords)
             and (method_name(n) == "read_namespaced_pod_log"
                  or any(isinstance(a, ast.Attribute) and a.attr == "read_namespaced_pod_log" for a in n.args))]
    for read in _reads_walked_by_line(nodes, reads):
        yield _medium_finding(module, read, "a pod's whole log is read into one string to be walked line by line",
                              "read_namespaced_pod_log(..., follow=True, _preload_content=False) and walk its "
                              "stream() a line at a time (or cut it with tail_lines/limit_bytes)")


def _reads_walked_by_line(nodes: list[ast.AST], reads: list[ast.AST]) -> list[ast.AST]:
    """The reads of ``reads`` whose whole text a loop walks a line at a time (``for line in
    text.splitlines()``, also through names), without keeping every line."""
    if not reads:
        return []
    texts: dict[str, ast.AST] = {}  # name -> the read whose whole text it holds
    lines: dict[str, ast.AST] = {}  # name -> the read whose lines it holds
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            text, split = _whole_text_of(node.value, reads, texts), _lines_of(node.value, reads, texts, lines)
            if split is not None:
                lines[name] = split
            elif text is not None:
                texts[name] = text
    return [read for node in nodes if isinstance(node, (ast.For, ast.AsyncFor)) and not _keeps_every_line(node)
            for read in [_lines_of(_unwrapped_iterable(node.iter), reads, texts, lines)] if read is not None]


def _keeps_every_line(loop: ast.For | ast.AsyncFor) -> bool:
    """The loop appends each line to a list (``for item in lines: if item: results.append(json.loads(item))``),
    under no test of what the line says (``if "STARTED:" in line``): the list holds the whole anyway."""
    targets = {n.id for n in walk_nodes(loop.target) if isinstance(n, ast.Name)}

    def appends(statements: list[ast.stmt]) -> bool:
        for statement in statements:
            if isinstance(statement, ast.If):
                if not any(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in walk_nodes(statement.test)) \
                        and appends(statement.body + statement.orelse):
                    return True
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
                    and method_name(statement.value) in ("append", "extend") and any(
                        isinstance(n, ast.Name) and n.id in targets for a in statement.value.args for n in walk_nodes(a)):
                return True
        return False

    return appends(loop.body)


def _lines_of(value: ast.expr, reads: list[ast.AST], texts: dict[str, ast.AST],
              lines: dict[str, ast.AST]) -> ast.AST | None:
    """The read whose whole text ``value`` cuts into lines (``text.splitlines()``, ``text.split("\\n")``), or whose
    lines a name holds."""
    if isinstance(value, ast.Name):
        return lines.get(value.id)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and (
            value.func.attr == "splitlines" or value.func.attr == "split" and value.args
            and "\n" in (string_value(value.args[0]) or "")):
        return _whole_text_of(value.func.value, reads, texts)
    return None


def _size_checked(nodes: list[ast.AST], response: str | None = None) -> bool:
    """The function compares the response's announced size with a cap before reading it
    (``if int(resp.headers["Content-Length"]) > limit: raise``, ``resp.content_length``): a bounded body. With
    ``response``, the size that response announces."""
    def announced(node: ast.expr) -> bool:
        return _announced_size(node) and (response is None or any(
            isinstance(n, ast.Name) and n.id == response for n in walk_nodes(node)))

    sized = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0], ast.Name) and announced(n.value)}
    return any(isinstance(n, ast.Compare) and any(
        announced(side) or isinstance(side, ast.Name) and side.id in sized for side in [n.left, *n.comparators])
        for n in nodes)


def _announced_size(node: ast.expr) -> bool:
    """``resp.headers["Content-Length"]`` (also inside ``int(...)``), ``resp.content_length``."""
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.lower() == "content-length"
               or isinstance(n, ast.Attribute) and n.attr == "content_length" for n in walk_nodes(node))


# Clients whose request returns only once the whole body is read, unless asked to stream.
BODY_READING_CLIENTS = {"requests", "requests_oauthlib", "advocate", "httpx"}
SIZE_HEADER = re.compile(r"content[-_]length", re.I)


def _late_size_guards(module: SourceModule, project: Project, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``with make_request(url, stream=False) as response: if int(response.headers["Content-Length"]) > MAX: return``:
    requests (and httpx) read the whole body before the call returns, so the cap on the announced size is
    checked after the body it was meant to keep out is in memory (and a chunked response announces none)."""
    if not SIZE_HEADER.search(module.text):
        return
    requests_made: dict[str, ast.Call] = {}
    for node in nodes:
        bindings = [(node.targets[0], node.value)] if isinstance(node, ast.Assign) and len(node.targets) == 1 else []
        bindings += [(i.optional_vars, i.context_expr) for i in getattr(node, "items", []) if i.optional_vars is not None]
        for target, value in bindings:
            if isinstance(target, ast.Name) and isinstance(value, ast.Call) and _reads_body_at_once(module, project, value):
                requests_made[target.id] = value
    for name, call in requests_made.items():
        if _size_checked(nodes, name):
            yield _medium_finding(
                module, call, "the response's announced size is compared with a cap after the request has read "
                              "the whole body into memory",
                "request with stream=True, check Content-Length first, then read at most the cap with "
                "iter_content() (a chunked response announces no length)")


def _reads_body_at_once(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """A requests/httpx request without ``stream=True``, or a request function of the project called with
    ``stream=False`` (requests' keyword, passed on)."""
    stream = keyword(call, "stream")
    if stream is not None:
        asks_whole_body = isinstance(stream, ast.Constant) and stream.value is False
    else:
        outbound = http.outbound_call(module, call, project)
        asks_whole_body = outbound is not None and outbound.library in BODY_READING_CLIENTS \
            and outbound.operation != "head"
    return asks_whole_body and _unstreamed_request(module, call, project)


def _makes_requests(module: SourceModule, project: Project) -> bool:
    """The file uses an HTTP library, or calls a function of the project that makes a request and hands its
    response back (``source.client.raw_http_get(url)``)."""
    return http.uses_http(module) or any(f"{name}(" in module.text for name in _request_functions(project))


REQUEST_FUNCTIONS = "R5.buffer-not-stream:request-functions"
# Names too common to stand for one request function of the project: ``config.get(...)`` is no request.
GENERIC_NAMES = {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "fetch", "open"}
# SDKs whose calls hand back a requests ``Response`` (requests-hardened's ``Manager.send_request``).
REQUESTS_BACKED_SDKS = {"requests_hardened"}


def _request_functions(project: Project) -> frozenset[str]:
    """Functions of the project that make an HTTP request and hand its response back unread: every ``return``
    (for a context-manager generator, every ``yield``) is a request (``return self.http.get(url,
    headers=headers)``), a response a ``with`` binds to one, or a call of another such function; every
    definition of that name. Generic names (``get``, ``send``) are left out."""
    if REQUEST_FUNCTIONS in project.facts:
        return project.facts[REQUEST_FUNCTIONS]
    functions = [(module, fn) for module in project.modules if not runs_offline(module, project)
                 for fn in walk_nodes(module.tree) if isinstance(fn, FUNCTION_TYPES) and fn.name not in GENERIC_NAMES]

    def judge(known: frozenset[str]) -> dict[str, bool]:
        verdicts: dict[str, bool] = {}
        for module, fn in functions:
            verdicts[fn.name] = verdicts.get(fn.name, True) and _hands_back_request(module, project, fn, known)
        return verdicts

    project.facts[REQUEST_FUNCTIONS] = _settled_names(judge, rounds=3)  # a wrapper of a wrapper
    return project.facts[REQUEST_FUNCTIONS]


def _settled_names(judge: Callable[[frozenset[str]], dict[str, bool]], rounds: int) -> frozenset[str]:
    """The names ``judge`` holds true given those it held true the round before, once they stop changing (or
    after ``rounds`` rounds)."""
    found: frozenset[str] = frozenset()
    for _ in range(rounds):
        now = frozenset(name for name, verdict in judge(found).items() if verdict)
        if now == found:
            break
        found = now
    return found


def _hands_back_request(module: SourceModule, project: Project, fn: ast.AST, known: frozenset[str]) -> bool:
    nodes = list(walk_function_body(fn))
    given = [n.value for n in nodes if isinstance(n, (ast.Return, ast.Yield)) and n.value is not None
             and not is_none(n.value)]
    bound = {item.optional_vars.id: item.context_expr for n in nodes if isinstance(n, (ast.With, ast.AsyncWith))
             for item in n.items if isinstance(item.optional_vars, ast.Name)}
    assigned = [n for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name)]
    for node in assigned:  # response = requests.request(...) ... return response, bound once
        if sum(other.targets[0].id == node.targets[0].id for other in assigned) == 1:
            bound.setdefault(node.targets[0].id, node.value)

    def request(value: ast.expr | None) -> bool:
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Name):
            value = bound.get(value.id)
        if not isinstance(value, ast.Call):
            return False
        if _callee(value) in known:
            return True
        outbound = http.outbound_call(module, value, project) if http.uses_http(module) else None
        if outbound is None:
            sdk_call = http.external_call(module, value, project)
            return sdk_call is not None and sdk_call.library in REQUESTS_BACKED_SDKS and keyword(value, "stream") is None
        return outbound.protocol == "http" and outbound.operation != "stream" and keyword(value, "stream") is None

    return bool(given) and all(request(v) for v in given)


def _caches(call: ast.Call, arg: ast.expr) -> bool:
    """``cache.set(key, response.content)``: the whole body is held in memory and then again in the cache."""
    return method_name(call) == "set" and isinstance(call.func, ast.Attribute) \
        and (dotted(call.func.value) or "").rsplit(".", 1)[-1].endswith("cache") and arg in call.args[1:2]


def _response_names(module: SourceModule, project: Project, nodes: list[ast.AST]) -> set[str]:
    """Names a function binds to the response of an unstreamed HTTP request."""
    responses: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call) and _unstreamed_request(module, value, project):
                responses.add(node.targets[0].id)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call) \
                        and _unstreamed_request(module, item.context_expr, project):
                    responses.add(item.optional_vars.id)
    return responses


HANDED_RESPONSES = "R5.buffer-not-stream:handed-responses"


def _handed_responses(project: Project) -> dict[str, set[int | str]]:
    """Functions the code hands an unstreamed response to (``save_image(response)`` after
    ``response = requests.get(url)``, and on through the functions that pass it along):
    function name -> the positions (after ``self``/``cls``) and keyword names of the
    parameters that receive it, across the project."""
    if HANDED_RESPONSES in project.facts:
        return project.facts[HANDED_RESPONSES]
    functions = []
    for module in project.modules:
        if runs_offline(module, project):
            continue
        for fn in walk_nodes(module.tree):
            if isinstance(fn, FUNCTION_TYPES):
                nodes = list(walk_function_body(fn))
                own = own_parameters(fn)
                bound = _response_names(module, project, nodes) if http.uses_http(module) else set()
                calls = [n for n in nodes if isinstance(n, ast.Call) and n.args or isinstance(n, ast.Call) and n.keywords]
                functions.append((fn.name, own, bound, calls))
    handed: dict[str, set[int | str]] = {}
    for _ in range(4):  # a response is rarely handed on further than that
        changed = False
        for name, own, bound, calls in functions:
            received = handed.get(name, set())
            responses = bound | {p for i, p in enumerate(own) if i in received or p in received}
            for call in calls if responses else ():
                callee = call.func.attr if isinstance(call.func, ast.Attribute) else \
                    call.func.id if isinstance(call.func, ast.Name) else None
                slots = {i for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id in responses} | \
                    {k.arg for k in call.keywords if k.arg and isinstance(k.value, ast.Name) and k.value.id in responses}
                if callee is not None and not slots <= handed.get(callee, set()):
                    handed.setdefault(callee, set()).update(slots)
                    changed = True
        if not changed:
            break
    project.facts[HANDED_RESPONSES] = handed
    return handed


def _unstreamed_request(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A request whose body a ``.content``/``.text``/``.read()`` read takes whole. ``stream=True`` only defers the
    download: ``requests.get(url, stream=True).content`` still holds it all (``iter_content`` is what streams)."""
    outbound = http.outbound_call(module, call, project)
    if outbound is None and _callee(call) in _request_functions(project):
        return not any(kw.arg is None for kw in call.keywords)
    if outbound is None or outbound.protocol != "http" or outbound.operation == "stream":
        return False
    if _fixed_address(module, call, outbound.operation):
        return False
    return not any(kw.arg is None for kw in call.keywords)


def _fixed_address(module: SourceModule, call: ast.Call, operation: str) -> bool:
    """The address is written in the code (a string literal, a module constant, a class
    attribute read through ``self``/``cls``): one known document, whose size the authors
    chose, not a payload whose size comes from data, a caller or configuration."""
    position = 1 if operation == "request" else 0
    url = keyword(call, "url")
    if url is None and len(call.args) > position:
        url = call.args[position]
    return url is not None and _fixed_text(module, call, url)


def _fixed_text(module: SourceModule, call: ast.Call, url: ast.expr) -> bool:
    """A string literal, a module constant, a class attribute read through ``self``/``cls``, a name the
    function allows only from a literal list (``if filename not in ALLOWED_FILES: raise``), or text joined
    from these (``UPSTREAM_BASE + filename``, an f-string)."""
    if isinstance(url, ast.Constant):
        return isinstance(url.value, str)
    if isinstance(url, ast.BinOp) and isinstance(url.op, ast.Add):
        return _fixed_text(module, call, url.left) and _fixed_text(module, call, url.right)
    if isinstance(url, ast.JoinedStr):
        return all(isinstance(part, ast.Constant)
                   or isinstance(part, ast.FormattedValue) and _fixed_text(module, call, part.value)
                   for part in url.values)
    if isinstance(url, ast.Name):
        return _string_constant_in(module.tree.body, url.id) or _allow_listed(module, call, url.id)
    if isinstance(url, ast.Attribute) and isinstance(url.value, ast.Name) and url.value.id in ("self", "cls"):
        owner = module.parents.get(call)
        while owner is not None and not isinstance(owner, ast.ClassDef):
            owner = module.parents.get(owner)
        return owner is not None and _string_constant_in(owner.body, url.attr)
    return False


def _allow_listed(module: SourceModule, call: ast.Call, name: str) -> bool:
    """``name`` passes an allow-list check of a module constant listing string literals before ``call``: the
    call sits under ``if name in ALLOWED:``, or the function leaves early ``if name not in ALLOWED``."""
    fn = enclosing_function(module, call)
    if fn is None:
        return False
    for node in walk_nodes(fn):
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1
                and isinstance(node.test.left, ast.Name) and node.test.left.id == name
                and isinstance(node.test.comparators[0], ast.Name)
                and _string_list_in(module.tree.body, node.test.comparators[0].id)):
            continue
        if isinstance(node.test.ops[0], ast.In) and any(n is call for n in walk_nodes(node)) \
                or isinstance(node.test.ops[0], ast.NotIn) and node.lineno < call.lineno \
                and isinstance(node.body[-1], (ast.Raise, ast.Return)):
            return True
    return False


def _string_list_in(statements: list[ast.stmt], name: str) -> bool:
    """A module constant holding string literals only: ``ALLOWED = frozenset({"a.js", "b.js"})``, a set,
    list or tuple literal."""
    value = _sole_assignment(statements, name)
    if isinstance(value, ast.Call) and dotted(value.func) in ("frozenset", "set", "tuple") and len(value.args) == 1:
        value = value.args[0]
    return isinstance(value, (ast.Set, ast.List, ast.Tuple)) and bool(value.elts) \
        and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)


def _sole_assignment(statements: list[ast.stmt], name: str) -> ast.expr | None:
    """The value of the one ``name = ...`` among ``statements``; None when none or several bind it."""
    values = [st.value for st in statements if isinstance(st, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in st.targets)]
    return values[0] if len(values) == 1 else None


def _string_constant_in(statements: list[ast.stmt], name: str) -> bool:
    values = [st.value for st in statements if isinstance(st, (ast.Assign, ast.AnnAssign)) and st.value is not None
              and any(isinstance(t, ast.Name) and t.id == name
                      for t in (st.targets if isinstance(st, ast.Assign) else [st.target]))]
    return len(values) == 1 and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str)


def _whole_body(module: SourceModule, project: Project, node: ast.expr, responses: set[str]) -> ast.expr | None:
    """``resp.content``, ``resp.text``, ``resp.read()``, ``await resp.read()``, ``requests.get(u).content``,
    or a call to a function of the project that returns one (``client.download(url)``)."""
    expr = node.value if isinstance(node, ast.Await) else node
    if isinstance(expr, ast.Call) and _callee(expr) in _download_functions(project):
        return node
    if isinstance(expr, ast.Attribute) and expr.attr in WHOLE_BODY_ATTRIBUTES:
        owner = expr.value
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in WHOLE_BODY_METHODS \
            and not expr.args and not expr.keywords:
        owner = expr.func.value
    else:
        return None
    if isinstance(owner, ast.Name) and owner.id in responses:
        return node
    if isinstance(owner, ast.Call) and _unstreamed_request(module, owner, project):
        return node
    return None


def _callee(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else None


DOWNLOAD_FUNCTIONS = "R5.buffer-not-stream:download-functions"


def _download_functions(project: Project) -> frozenset[str]:
    """Functions of the project that return a downloaded body whole (``return response.content``
    after an unstreamed ``requests.get``), every definition of that name, every return."""
    if DOWNLOAD_FUNCTIONS in project.facts:
        return project.facts[DOWNLOAD_FUNCTIONS]
    project.facts[DOWNLOAD_FUNCTIONS] = frozenset()  # a function returning another's call: no recursion
    verdicts: dict[str, bool] = {}
    for module in project.modules:
        if runs_offline(module, project):
            continue
        downloads = http.uses_http(module) and any(m in module.text for m in (".content", ".read(", ".text"))
        for fn in walk_nodes(module.tree):
            if not isinstance(fn, FUNCTION_TYPES):
                continue
            if not downloads:
                verdicts[fn.name] = False
                continue
            nodes = list(walk_function_body(fn))
            returns = [n.value for n in nodes if isinstance(n, ast.Return) and n.value is not None]
            responses = _response_names(module, project, nodes)
            whole = bool(returns) and all(_whole_body(module, project, r, responses) is not None for r in returns)
            verdicts[fn.name] = verdicts.get(fn.name, True) and whole
    project.facts[DOWNLOAD_FUNCTIONS] = frozenset(name for name, whole in verdicts.items() if whole)
    return project.facts[DOWNLOAD_FUNCTIONS]


def _unwrap_bytes(module: SourceModule, node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Call) and (call_name(module, node) or "").rsplit(".", 1)[-1] in BYTES_WRAPPERS and node.args:
        return node.args[0]
    return node


def _is_sink(module: SourceModule, call: ast.Call) -> bool:
    if method_name(call) in FILE_SINK_METHODS and isinstance(call.func, ast.Attribute):
        return True
    if method_name(call) == "save" and any(isinstance(a, ast.Call) and (call_name(module, a) or dotted(a.func) or "")
                                           .rsplit(".", 1)[-1] == "ContentFile" for a in call.args):
        # Django storage: field.save(name, ContentFile(data)) writes the file; not a logo or avatar
        # field, a small picture the provider has already scaled down
        field = call.func.value if isinstance(call.func, ast.Attribute) else None
        return not (isinstance(field, ast.Attribute) and SMALL_PICTURE_FIELDS.search(field.attr))
    return (call_name(module, call) or "").rsplit(".", 1)[-1] in RESPONSE_SINKS


CURL_WRITE_OPTIONS = {"WRITEDATA", "WRITEFUNCTION", "FILE"}
CURL_SIZE_CAPS = {"MAXFILESIZE", "MAXFILESIZE_LARGE"}


def _curl_buffers(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``c.setopt(pycurl.WRITEDATA, buffer)`` with ``buffer = BytesIO()`` (or ``WRITEFUNCTION, buffer.write``)
    and no ``MAXFILESIZE`` set in the function: pycurl writes the whole response body into memory, however
    large the server makes it. An address written in the code (``setopt(pycurl.URL, "https://...")``) is one
    known document and is not reported."""
    if not module.imports_module("pycurl"):
        return
    options = [(n, (dotted(n.args[0]) or "").rsplit(".", 1)[-1], n.args[1]) for n in nodes
               if isinstance(n, ast.Call) and method_name(n) == "setopt" and len(n.args) == 2]
    if any(option in CURL_SIZE_CAPS for _, option, _ in options) \
            or any(option == "URL" and isinstance(value, ast.Constant) for _, option, value in options):
        return
    memory = {node.targets[0].id for node in nodes if isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
              and (call_name(module, node.value) or "").rsplit(".", 1)[-1] in ("BytesIO", "StringIO")}
    for call, option, value in options:
        if option not in CURL_WRITE_OPTIONS:
            continue
        target = value.value if isinstance(value, ast.Attribute) and value.attr == "write" else value
        if isinstance(target, ast.Name) and target.id in memory:
            yield _medium_finding(
                module, call, "pycurl writes the whole response body into an in-memory buffer with no MAXFILESIZE cap",
                "cap the body with c.setopt(pycurl.MAXFILESIZE, limit) (and a WRITEFUNCTION that stops past "
                "the limit), or write it to a file in chunks",
            )


FILE_WRITERS = "R5.buffer-not-stream:file-writers"
STREAM_BUFFERERS = "R5.buffer-not-stream:stream-bufferers"


def _request_streams_buffered(module: SourceModule, project: Project, fn: ast.AST,
                              nodes: list[ast.AST]) -> Iterator[Finding]:
    """``process_file(request.stream)`` (Flask's raw request body) where every ``process_file`` of the project
    copies that parameter whole into memory (``fp = BytesIO()`` / ``fp.write(stream.read())``): the upload is held
    whole where it could be copied to the disk in chunks."""
    if _admin_only(fn):
        return
    for node in nodes:
        if not (isinstance(node, ast.Call) and node.args):
            continue
        slots = _stream_bufferers(project).get(_callee(node) or "", set())
        for i, arg in enumerate(node.args):
            owner = arg.value if isinstance(arg, ast.Attribute) and arg.attr == "stream" else None
            if i in slots and owner is not None and (isinstance(owner, ast.Name) and owner.id in REQUEST_NAMES
                                                     or qualified(module, owner) in GLOBAL_REQUESTS):
                yield _medium_finding(
                    module, node, f"the request body is read whole into memory by {_callee(node)}()",
                    "copy request.stream in chunks (shutil.copyfileobj into a temporary file) and hash it as it "
                    "passes, with a size cap")


def _bodies_read_to_measure(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``len(request.get_data()) > max_size`` (Flask, Quart; also ``len(request.data)``): a size guard that reads the
    whole body into memory before it can refuse it, so the largest body a client sends is buffered anyway. The
    announced ``Content-Length`` (``request.content_length``) says it before a byte is read."""
    for node in nodes:
        if not (isinstance(node, ast.Call) and dotted(node.func) == "len" and len(node.args) == 1):
            continue
        body = node.args[0]
        owner = body.func.value if isinstance(body, ast.Call) and method_name(body) == "get_data" \
            and isinstance(body.func, ast.Attribute) else body.value if isinstance(body, ast.Attribute) \
            and body.attr == "data" else None
        if owner is not None and qualified(module, owner) in GLOBAL_REQUESTS:
            yield _medium_finding(
                module, node, "the whole request body is read into memory only to measure its length",
                "compare request.content_length with the cap before reading the body (or set Flask's "
                "MAX_CONTENT_LENGTH), and read it only once it passes")


def _stream_bufferers(project: Project) -> dict[str, set[int]]:
    """Function name -> the positions (after ``self``/``cls``) of the parameters that every definition of that
    name reads whole into an in-memory buffer (``fp.write(stream.read())`` of ``fp = BytesIO()``,
    ``BytesIO(stream.read())``)."""
    if STREAM_BUFFERERS in project.facts:
        return project.facts[STREAM_BUFFERERS]
    found: dict[str, set[int]] = {}
    for module in project.modules:
        if runs_offline(module, project) or ".read()" not in module.text or "BytesIO" not in module.text:
            continue
        for fn in walk_nodes(module.tree):
            if not isinstance(fn, FUNCTION_TYPES):
                continue
            own = own_parameters(fn)
            nodes = list(walk_function_body(fn))
            buffers = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                       and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call)
                       and (call_name(module, n.value) or "").rsplit(".", 1)[-1] == "BytesIO"}
            read = {dotted(a.func.value) for n in nodes if isinstance(n, ast.Call) and (
                (call_name(module, n) or "").rsplit(".", 1)[-1] == "BytesIO" or isinstance(n.func, ast.Attribute)
                and n.func.attr == "write" and dotted(n.func.value) in buffers) for a in n.args if _whole_read(a)}
            slots = {i for i, name in enumerate(own) if name in read}
            found[fn.name] = found[fn.name] & slots if fn.name in found else slots
    project.facts[STREAM_BUFFERERS] = {name: slots for name, slots in found.items() if slots}
    return project.facts[STREAM_BUFFERERS]


def _writes_argument(project: Project, call: ast.Call, arg: ast.expr) -> bool:
    """``self.write_image(r.read(), suffix)`` where every ``write_image`` of the project writes that
    parameter to a file (``f.write(file_data)``) or sends it back: the body is a download all the same."""
    return _in_slots(_file_writers(project).get(_callee(call) or ""), call, arg)


def _in_slots(slots: set[int | str] | None, call: ast.Call, arg: ast.expr) -> bool:
    """``arg`` is passed at one of ``slots`` (positions after ``self``/``cls``, or parameter names) of ``call``."""
    if not slots:
        return False
    if arg in call.args:
        return call.args.index(arg) in slots
    return any(kw.value is arg and kw.arg in slots for kw in call.keywords)


def _file_writers(project: Project) -> dict[str, set[int | str]]:
    """Function name -> the positions (after ``self``/``cls``) and names of the parameters that every
    definition of that name in the project hands to a file sink (``out.write(data)``, ``write_bytes(data)``)."""
    return _parameters_handed_on(project, FILE_WRITERS, lambda module: True, lambda module, n: {
        dotted(_unwrap_bytes(module, a)) for a in n.args} if _is_sink(module, n) else set())


def _parameters_handed_on(project: Project, fact: str, may_hand: Callable[[SourceModule], bool],
                          handed: Callable[[SourceModule, ast.Call], set[str | None]]) -> dict[str, set[int | str]]:
    """Function name -> the positions (after ``self``/``cls``) and names of the parameters that every definition
    of that name in the project (in modules ``may_hand`` lets through) passes to a call where ``handed`` names
    them."""
    if fact in project.facts:
        return project.facts[fact]
    found: dict[str, set[int | str]] = {}
    for module in project.modules:
        if runs_offline(module, project) or not may_hand(module):
            continue
        for fn in walk_nodes(module.tree):
            if not isinstance(fn, FUNCTION_TYPES):
                continue
            own = own_parameters(fn)
            names = {name for n in walk_function_body(fn) if isinstance(n, ast.Call)
                     for name in handed(module, n)} if own else set()
            slots = {i for i, name in enumerate(own) if name in names} | {name for name in own if name in names}
            found[fn.name] = found[fn.name] & slots if fn.name in found else slots
    project.facts[fact] = {name: slots for name, slots in found.items() if slots}
    return project.facts[fact]


# -- uploads ------------------------------------------------------------------------------


def _uploads(module: SourceModule, project: Project, fn: ast.AST, nodes: list[ast.AST]) -> Iterator[Finding]:
    if _operators_only(project, fn):
        return
    uploads = {a.arg for a in _arguments(fn) if _annotated_as(module, a.annotation, ANNOTATED_UPLOAD_CLASSES)}
    uploads |= _handed_uploads(project, fn)
    forms = _request_forms(fn, nodes)
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and (_is_request_file(module, node.value) or _form_item(node.value, forms)):
            uploads.add(node.targets[0].id)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            uploads |= _uploads_handed_back(project, node)
        elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name) \
                and (_request_file_list(module, node.iter) or dotted(node.iter) in uploads):
            uploads.add(node.target.id)  # for upload in request.FILES.getlist("scans") / in files: list[UploadFile]
    uploads |= _checked_uploads(module, nodes) | _validated_upload(module, fn) | _multipart_parts(fn, nodes)
    copied = _copied_into_files(nodes)
    if not uploads and not copied and "files" not in module.text.lower():
        return
    for node in nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "read"
                and not node.args and not node.keywords):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Attribute) and owner.attr in ("file", "stream") and dotted(owner) not in uploads:
            owner = owner.value
        if (dotted(owner) in uploads or _is_request_file(module, owner) or _form_item(owner, forms)
                or node in copied) \
                and not _stored_in_a_column(module, node) and not _size_capped_before(owner, node, nodes) \
                and not _decoded_whole(module, project, node, nodes):
            yield _medium_finding(
                module, node, "an uploaded file is read whole into memory",
                "copy it in chunks (shutil.copyfileobj(upload.file, out, 65536) or a loop of read(65536)) "
                "and cap its size",
            )


HANDED_UPLOADS = "R5.buffer-not-stream:handed-uploads"


def _handed_uploads(project: Project, fn: ast.AST) -> set[str]:
    """Parameters of ``fn`` that every call of it in the project hands an upload: ``self._process_file(file)`` in
    a route whose ``file: UploadFile`` it passes on (by position or keyword), the helper not annotated itself."""
    table = project.facts.get(HANDED_UPLOADS)
    if table is None:
        table = project.facts[HANDED_UPLOADS] = _upload_handing_calls(project)
    slots = table.get(fn.name)
    if not slots:
        return set()
    positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    if positional[:1] in (["self"], ["cls"]):
        positional = positional[1:]
    return {slot if isinstance(slot, str) else positional[slot] for slot in slots
            if isinstance(slot, str) or slot < len(positional)}


def _upload_handing_calls(project: Project) -> dict[str, set[int | str]]:
    """Callee name -> the argument slots (position or keyword) in which calls of that name hand on an uploaded
    file their caller was given as an annotated parameter; a name also called without one (anywhere outside the
    tests) is left out."""
    handing: dict[str, set[int | str]] = {}
    passing: set[ast.Call] = set()
    for module in project.modules:
        if "Upload" not in module.text:
            continue
        for fn in walk_nodes(module.tree):
            if not isinstance(fn, FUNCTION_TYPES):
                continue
            uploads = {a.arg for a in _arguments(fn) if _annotated_as(module, a.annotation, ANNOTATED_UPLOAD_CLASSES)}
            for call in (n for n in walk_function_body(fn) if uploads and isinstance(n, ast.Call)):
                slots = {i for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id in uploads} | \
                    {k.arg for k in call.keywords if isinstance(k.value, ast.Name) and k.value.id in uploads and k.arg}
                if slots and (name := _callee(call)) is not None:
                    handing.setdefault(name, set()).update(slots)
                    passing.add(call)
    for module in project.modules:
        if is_test_path(module.path) or not any(name in module.text for name in handing):
            continue
        for call in module.nodes_of(ast.Call):
            if call not in passing and _callee(call) in handing:
                handing.pop(_callee(call))  # called elsewhere with something else in that place
    return handing


def _copied_into_files(nodes: list[ast.AST]) -> set[ast.Call]:
    """``f.write(file.file.read())`` into a file a ``with`` opened for writing: the file an upload object wraps
    (Django's ``UploadedFile.file``, Starlette's ``UploadFile.file``) copied to the disk through memory whole."""
    written = {name.id for name, call in opened_files(nodes) if _write_mode(call) or _path_write_mode(call)}
    return {a for n in nodes if isinstance(n, ast.Call) and method_name(n) == "write" and len(n.args) == 1
            and isinstance(n.func, ast.Attribute) and dotted(n.func.value) in written
            for a in n.args if _whole_read(a) and isinstance(a.func.value, ast.Attribute) and a.func.value.attr == "file"}


def _handed_streams_copied_whole(module: SourceModule, fn: ast.AST, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``fout.write(body.read())`` of a file-like ``body`` the caller hands in, into a file the function opened for
    writing (``smart_open.open(uri, "wb")``, ``open(path, "wb")``), or into a storage object through GCS's
    ``blob.upload_from_string(content)``: a stream of whatever size the caller has, held whole on its way."""
    written = {name.id for name, call in opened_files(nodes) if _write_mode(call) or _path_write_mode(call)}
    handed = set(own_parameters(fn))
    held = {n.targets[0].id: n.value for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name)}
    for node in nodes:
        if isinstance(node, ast.Call) and method_name(node) == "upload_from_string" and node.args:
            read = held.get(node.args[0].id) if isinstance(node.args[0], ast.Name) else node.args[0]
            if _whole_read(read) and isinstance(read.func.value, ast.Name) and read.func.value.id in handed:
                yield _medium_finding(
                    module, read, f"{read.func.value.id}.read() holds the whole stream the caller hands in, only "
                                  "to upload it with upload_from_string()",
                    f"upload the stream itself: blob.upload_from_file({read.func.value.id}) sends it in chunks")
            continue
        if isinstance(node, ast.Call) and method_name(node) == "write" and len(node.args) == 1 \
                and isinstance(node.func, ast.Attribute) and dotted(node.func.value) in written:
            read = node.args[0]
            if _whole_read(read) and isinstance(read.func.value, ast.Name) and read.func.value.id in handed:
                yield _medium_finding(
                    module, read, f"{read.func.value.id}.read() holds the whole stream the caller hands in, only "
                                  "to write it to a file",
                    f"copy it in chunks: shutil.copyfileobj({read.func.value.id}, "
                    f"{dotted(node.func.value)}, 1024 * 1024)")


# Decoders that need the whole payload: a picture's (PIL, OpenCV, NumPy's buffer), JSON's and a YAML document's.
# A YAML or TOML module's loader counts under any name (``yaml.safe_load``, a project's ``cyaml.safe_load``,
# ``ruamel.yaml``'s, ``tomllib.loads``): a configuration document is parsed whole.
WHOLE_DECODERS = re.compile(r"(^|\.)(Image\.open|imdecode|frombuffer|loads)$|(^|\.)\w*(yaml|toml)\w*\.\w*load(s|_all)?$")
# A function of the project named for the picture it is handed (``register_face(name, data)``, ``load_image``).
PICTURE_CONSUMERS = re.compile(r"(^|_)(images?|img|photos?|pictures?|faces?)(_|$)", re.I)


def _decoded_whole(module: SourceModule, project: Project, read: ast.Call, nodes: list[ast.AST]) -> bool:
    """The upload read goes, directly or through the name it is bound to, to a decoder that needs it whole
    (``Image.open(BytesIO(contents))``, also run in a thread, ``asyncio.to_thread(json.loads, data)``), to a
    function of the project that parses that parameter as a document (``parse_workflow(raw)`` doing
    ``yaml.safe_load(raw)``) or to a function named for the picture it takes
    (``context.register_face(name, file.read())``): streaming does not fit."""
    whole = module.parents.get(read) if isinstance(module.parents.get(read), ast.Await) else read
    parent = module.parents.get(whole)
    names = {parent.targets[0].id} if isinstance(parent, ast.Assign) and len(parent.targets) == 1 \
        and isinstance(parent.targets[0], ast.Name) else set()
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if not any(n is whole or isinstance(n, ast.Name) and n.id in names for a in arguments for n in walk_nodes(a)):
            continue
        callees = [node.func, *(a for a in node.args if isinstance(a, (ast.Name, ast.Attribute)))]
        if any(WHOLE_DECODERS.search(qualified(module, c) or dotted(c) or "") for c in callees) \
                or PICTURE_CONSUMERS.search(method_name(node) or _callee(node) or "") \
                or any(_parses_argument(project, node, a) for a in arguments
                       if a is whole or isinstance(a, ast.Name) and a.id in names):
            return True
    return False


DOCUMENT_PARSERS = "R5.buffer-not-stream:document-parsers"


def _document_parser(module: SourceModule, call: ast.Call) -> bool:
    """A call that parses its argument as one document: JSON, YAML, TOML, a picture, a signature check."""
    return _needs_whole(module, call) or bool(WHOLE_DECODERS.search(qualified(module, call.func) or dotted(call.func)
                                                                    or ""))


def _parses_argument(project: Project, call: ast.Call, arg: ast.expr) -> bool:
    """``parse_workflow(raw)`` where every ``parse_workflow`` of the project hands that parameter to a document
    parser (``yaml.safe_load(workflow_raw)``): the payload is needed whole."""
    return _in_slots(_document_parsers(project).get(_callee(call) or ""), call, arg)


def _document_parsers(project: Project) -> dict[str, set[int | str]]:
    """Function name -> the positions (after ``self``/``cls``) and names of the parameters that every
    definition of that name in the project hands straight to a document parser (``json.loads(raw)``,
    ``yaml.safe_load(raw)``)."""
    return _parameters_handed_on(
        project, DOCUMENT_PARSERS, lambda module: bool(re.search(r"load|Image|decode|frombuffer", module.text)),
        lambda module, n: {a.id for a in n.args[:1] if isinstance(a, ast.Name)} if _document_parser(module, n)
        else set())


def _multipart_parts(fn: ast.AST, nodes: list[ast.AST]) -> set[str]:
    """The parts of an aiohttp multipart upload: ``field = await reader.next()`` or ``async for field in reader``
    after ``reader = await request.multipart()``. ``await field.read()`` holds the whole part."""
    requests = {a.arg for a in _arguments(fn)} & REQUEST_NAMES

    def awaited_call(value: ast.expr | None, method: str, owners: set[str]) -> bool:
        value = value.value if isinstance(value, ast.Await) else value
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == method \
            and isinstance(value.func.value, ast.Name) and value.func.value.id in owners

    assigned = [n for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name)]
    readers = {n.targets[0].id for n in assigned if awaited_call(n.value, "multipart", requests)}
    if not readers:
        return set()
    return {n.targets[0].id for n in assigned if awaited_call(n.value, "next", readers)} | {
        n.target.id for n in nodes if isinstance(n, ast.AsyncFor) and isinstance(n.target, ast.Name)
        and isinstance(n.iter, ast.Name) and n.iter.id in readers}


def _size_capped_before(upload: ast.expr, read: ast.Call, nodes: list[ast.AST]) -> bool:
    """``if file.size > 10 * 1024 * 1024: return ...`` before ``file.read()``: a payload the handler bounded."""
    name = dotted(upload)
    return any(isinstance(n, ast.Compare) and n.lineno < read.lineno and any(
        isinstance(side, ast.Attribute) and side.attr == "size" and dotted(side.value) == name
        for side in [n.left, *n.comparators]) for n in nodes)


def _request_forms(fn: ast.AST, nodes: list[ast.AST]) -> set[str]:
    """Names bound to a Starlette/FastAPI request's parsed form (``form = await request.form()``,
    ``async with request.form() as form``): its items that are read are uploaded files."""
    requests = {a.arg for a in _arguments(fn)} & REQUEST_NAMES | {
        a.arg for a in _arguments(fn) if isinstance(a.annotation, (ast.Name, ast.Attribute))
        and (dotted(a.annotation) or "").rsplit(".", 1)[-1] == "Request"}

    def parsed_form(value: ast.expr | None) -> bool:
        value = value.value if isinstance(value, ast.Await) else value
        return isinstance(value, ast.Call) and method_name(value) == "form" and isinstance(value.func, ast.Attribute) \
            and isinstance(value.func.value, ast.Name) and value.func.value.id in requests

    forms = {node.targets[0].id for node in nodes if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(node.targets[0], ast.Name) and parsed_form(node.value)}
    return forms | {item.optional_vars.id for node in nodes if isinstance(node, ast.AsyncWith) for item in node.items
                    if isinstance(item.optional_vars, ast.Name) and parsed_form(item.context_expr)}


def _form_item(node: ast.expr, forms: set[str]) -> bool:
    """``form["file"]``, ``form.get("file")`` of a parsed request form."""
    container = node.value if isinstance(node, ast.Subscript) else node.func.value \
        if isinstance(node, ast.Call) and method_name(node) == "get" and isinstance(node.func, ast.Attribute) else None
    return isinstance(container, ast.Name) and container.id in forms


def _uploads_handed_back(project: Project, assign: ast.Assign) -> set[str]:
    """The names an assignment binds to an uploaded file a function of the project hands back, by its return
    annotation (``-> UploadFile``, or one slot of ``-> tuple[str, UploadFile]`` unpacked into a tuple)."""
    value = assign.value.value if isinstance(assign.value, ast.Await) else assign.value
    slots = _upload_returning_functions(project).get(_callee(value) or "") if isinstance(value, ast.Call) else None
    target = assign.targets[0]
    if not slots:
        return set()
    if isinstance(target, ast.Name):
        return {target.id} if WHOLE_VALUE in slots else set()
    if isinstance(target, ast.Tuple):
        return {t.id for i, t in enumerate(target.elts) if i in slots and isinstance(t, ast.Name)}
    return set()


UPLOAD_RETURNS = "R5.buffer-not-stream:upload-returns"
WHOLE_VALUE = -1


def _upload_returning_functions(project: Project) -> dict[str, set[int]]:
    """Functions of the project annotated to return an uploaded file: name -> ``WHOLE_VALUE`` or the slots of
    the tuple it returns that hold one, on every definition of that name."""
    if UPLOAD_RETURNS in project.facts:
        return project.facts[UPLOAD_RETURNS]
    returns: dict[str, set[int]] = {}
    for module in project.modules:
        if "UploadFile" not in module.text:
            continue
        for fn in walk_nodes(module.tree):
            if isinstance(fn, FUNCTION_TYPES) and fn.returns is not None:
                slots = _upload_slots(module, fn.returns)
                returns[fn.name] = returns[fn.name] & slots if fn.name in returns else slots
    project.facts[UPLOAD_RETURNS] = {name: slots for name, slots in returns.items() if slots}
    return project.facts[UPLOAD_RETURNS]


def _upload_slots(module: SourceModule, annotation: ast.expr) -> set[int]:
    """``UploadFile`` (also ``Optional[...]``/``| None``) -> ``{WHOLE_VALUE}``; ``tuple[str, UploadFile]`` -> ``{1}``."""
    if isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or "").rsplit(".", 1)[-1] in ("tuple", "Tuple") \
            and isinstance(annotation.slice, ast.Tuple):
        return {i for i, element in enumerate(annotation.slice.elts) if _one_upload(module, element)}
    return {WHOLE_VALUE} if _one_upload(module, annotation) else set()


def _one_upload(module: SourceModule, annotation: ast.expr) -> bool:
    """``UploadFile``, ``Optional[UploadFile]``, ``UploadFile | None``; not a list of them."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return any(_one_upload(module, side) for side in (annotation.left, annotation.right))
    if isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or "").rsplit(".", 1)[-1] == "Optional":
        return _one_upload(module, annotation.slice)
    return isinstance(annotation, (ast.Name, ast.Attribute)) and qualified(module, annotation) in UPLOAD_CLASSES


def _stored_in_a_column(module: SourceModule, read: ast.Call) -> bool:
    """``self.event.stylesheet = f.read().decode().strip()``: the content becomes a field of a model object,
    which the database stores and hands back whole; reading it whole is the only way to store it. So does
    the text of a file decoded into an item of a mapping (``settings[key] = value.file.read().decode()``): a
    form's field given as a file, a setting or credential kept whole as a string."""
    node, parent = read, module.parents.get(read)
    decoded = False
    while isinstance(parent, (ast.Attribute, ast.Call)) and (isinstance(parent, ast.Call) or parent.value is node):
        decoded = decoded or isinstance(parent, ast.Attribute) and parent.attr == "decode"
        node, parent = parent, module.parents.get(parent)
    if not (isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1):
        return False
    target = parent.targets[0]
    return isinstance(target, ast.Attribute) and not (isinstance(target.value, ast.Name) and target.value.id == "self") \
        or isinstance(target, ast.Subscript) and decoded


# Classes of an uploaded file: werkzeug's (Flask's request.files values), Django's, Starlette's.
UPLOADED_FILE_CLASSES = {"werkzeug.datastructures.FileStorage", "werkzeug.FileStorage",
                         "werkzeug.datastructures.file_storage.FileStorage",
                         "django.core.files.uploadedfile.UploadedFile",
                         "django.core.files.uploadedfile.InMemoryUploadedFile", *UPLOAD_CLASSES}


def _checked_uploads(module: SourceModule, nodes: list[ast.AST]) -> set[str]:
    """Names the function checks to be an uploaded file (``isinstance(storage, FileStorage)``), and
    the names and attributes it binds to it or its stream (``self.upload_file = storage.stream``)."""
    checked = {dotted(n.args[0]) for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
               and n.func.id == "isinstance" and len(n.args) == 2
               and any(qualified(module, c) in UPLOADED_FILE_CLASSES
                       for c in (n.args[1].elts if isinstance(n.args[1], ast.Tuple) else [n.args[1]]))}
    checked.discard(None)
    bound: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            value = node.value.value if isinstance(node.value, ast.Attribute) and node.value.attr in ("stream", "file") \
                else node.value
            target = dotted(node.targets[0])
            if target and dotted(value) in checked:
                bound.add(target)
    return checked | bound


FILE_FIELDS = {"FileField"}  # DRF's and Django forms' upload fields (an ImageField holds a picture, sized down)


def _validated_upload(module: SourceModule, fn: ast.AST) -> set[str]:
    """The value a DRF serializer's ``validate_<field>(self, value)`` gets for a ``FileField`` of its class
    (``document = serializers.FileField()``): the uploaded file itself."""
    owner = module.parents.get(fn)
    if not (isinstance(owner, ast.ClassDef) and fn.name.startswith("validate_") and len(fn.args.args) == 2):
        return set()
    field = fn.name.removeprefix("validate_")
    for statement in owner.body:
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == field for t in statement.targets) \
                and isinstance(statement.value, ast.Call) and not SMALL_PICTURE_FIELDS.search(field) \
                and (dotted(statement.value.func) or "").rsplit(".", 1)[-1] in FILE_FIELDS:
            return {fn.args.args[1].arg}
    return set()


def _request_file_list(module: SourceModule, node: ast.expr) -> bool:
    """``request.FILES.getlist("scans")``, ``request.files.values()``: every file of a multi-file upload."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr in ("getlist", "values") and _is_request_files(module, node.func.value)


def _is_request_files(module: SourceModule, container: ast.expr) -> bool:
    """``request.files`` (Flask, Quart), ``request.FILES`` (Django), and ``self.files`` in a method of a Django
    form (the ``request.FILES`` it was bound to)."""
    return isinstance(container, ast.Attribute) and container.attr in UPLOAD_CONTAINERS \
        and isinstance(container.value, ast.Name) and (
            container.value.id in REQUEST_NAMES or qualified(module, container.value) in GLOBAL_REQUESTS
            or container.value.id == "self" and container.attr == "files" and _in_form_class(module, container))


def _in_form_class(module: SourceModule, node: ast.AST) -> bool:
    """``node`` is in a method of a class built on a Django form (``forms.Form``, ``ModelForm``, a project's
    ``BulkImportForm``): its name ends in ``Form``."""
    parent = module.parents.get(node)
    while parent is not None and not isinstance(parent, ast.ClassDef):
        parent = module.parents.get(parent)
    return parent is not None and any((dotted(b) or "").endswith("Form") for b in parent.bases)


def _is_request_file(module: SourceModule, node: ast.expr) -> bool:
    """``request.files["doc"]``, ``request.files.get("doc")``, ``request.FILES["doc"]``."""
    if isinstance(node, ast.Subscript):
        container = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        container = node.func.value
    else:
        return False
    return _is_request_files(module, container)


# -- request bodies -----------------------------------------------------------------------


def _request_bodies(module: SourceModule, project: Project, fn: ast.AST, nodes: list[ast.AST]) -> Iterator[Finding]:
    if _operators_only(project, fn):
        return
    requests = {a.arg for a in _arguments(fn) if _annotated_as(module, a.annotation, REQUEST_CLASSES)} | REQUEST_NAMES
    for node in nodes:
        if not (isinstance(node, ast.Await) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        if not (method_name(call) in ("body", "read") and isinstance(call.func, ast.Attribute) and not call.args
                and isinstance(call.func.value, ast.Name) and call.func.value.id in requests):
            continue
        if method_name(call) == "read":  # aiohttp: reported where the body only passes through
            if _forwarded(module, project, node, nodes):
                yield _medium_finding(
                    module, node, "await request.read() holds the whole request body in memory only to "
                                  "forward it to another server",
                    "pass the body through as a stream (aiohttp: data=request.content) and cap its size")
            elif _written_to_file(module, project, node, nodes):
                yield _medium_finding(
                    module, node, "await request.read() holds a whole upload in memory only to write it to a file",
                    "copy `request.content` to the file in chunks (`await request.content.read(65536)` in a "
                    "loop, or `request.multipart()`) and cap its size")
        elif not _consumed_whole(module, project, node, nodes):
            yield _medium_finding(
                module, node, "await request.body() reads the whole request body into memory",
                "iterate `async for chunk in request.stream()` and cap the size (or reject large "
                "Content-Length up front)",
            )


FORWARDED_BODY_KEYWORDS = {"data", "content", "body"}


def _forwarded(module: SourceModule, project: Project, read: ast.Await, nodes: list[ast.AST]) -> bool:
    """``data = await request.read()`` then ``http.request(method, url, data=data)``: a proxy that buffers
    the body it could stream to the upstream server."""
    parent = module.parents.get(read)
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name = parent.targets[0].id
    return any(isinstance(node, ast.Call) and any(
        k.arg in FORWARDED_BODY_KEYWORDS and isinstance(k.value, ast.Name) and k.value.id == name for k in node.keywords)
        and (http.outbound_call(module, node, project) is not None or http.uses_http_name(qualified(module, node.func) or ""))
        for node in nodes)


def _written_to_file(module: SourceModule, project: Project, read: ast.Await, nodes: list[ast.AST]) -> bool:
    """``content = await request.read()`` then ``out.write(content)``, or ``save_upload(content, name)`` where
    the project function writes that parameter to a file: the body only passes through memory on its way
    to the disk."""
    parent = module.parents.get(read)
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name = parent.targets[0].id
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Name) and arg.id == name and (
                    _is_sink(module, node) and method_name(node) in FILE_SINK_METHODS
                    or _writes_argument(project, node, arg)):
                return True
    return False


def _consumed_whole(module: SourceModule, project: Project, read: ast.Await, nodes: list[ast.AST]) -> bool:
    """The body goes straight to a JSON parser or a signature check, which need it whole,
    or is handed back to a caller whose use is not known here, or put back for the application to read."""
    return isinstance(module.parents.get(read), ast.Return) or _parsed_whole(module, read, nodes, project) \
        or _replayed(module, project, read, nodes)


BODY_REPLAYERS = "R5.buffer-not-stream:body-replayers"


def _replayed(module: SourceModule, project: Project, read: ast.Await, nodes: list[ast.AST]) -> bool:
    """``await set_body(request, await request.body())`` where ``set_body`` swaps the request's ``_receive`` for
    one that hands the body back: a middleware that reads the body must hold it whole to replay it to the
    application (the Starlette work-around), and a second read only replays that buffer."""
    replayers = _body_replayers(project)
    parent = module.parents.get(read)
    name = parent.targets[0].id if isinstance(parent, ast.Assign) and len(parent.targets) == 1 \
        and isinstance(parent.targets[0], ast.Name) else None
    return any(isinstance(node, ast.Call) and (_callee(node) or "") in replayers and any(
        arg is read or isinstance(arg, ast.Name) and arg.id == name for arg in node.args) for node in nodes)


def _body_replayers(project: Project) -> frozenset[str]:
    """Names of the project's functions that set ``_receive`` on one of their parameters (``request._receive =
    receive``)."""
    if BODY_REPLAYERS not in project.facts:
        project.facts[BODY_REPLAYERS] = frozenset(
            fn.name for module in project.modules if "_receive" in module.text
            for fn in walk_nodes(module.tree) if isinstance(fn, FUNCTION_TYPES) and any(
                isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Attribute) and t.attr == "_receive" and isinstance(t.value, ast.Name)
                    and t.value.id in own_parameters(fn) for t in node.targets)
                for node in walk_function_body(fn)))
    return project.facts[BODY_REPLAYERS]


def _parsed_whole(module: SourceModule, read: ast.expr, nodes: list[ast.AST], project: Project | None = None) -> bool:
    """What ``read`` gives goes, directly or through the name it is bound to, to a JSON or YAML parser or a
    signature check, or to a function of the project that parses that parameter (``project`` given): they need
    the payload whole."""
    parent = module.parents.get(read)
    while isinstance(parent, (ast.Call, ast.Attribute)) and not _needs_whole(module, parent):
        parent = module.parents.get(parent)
    if isinstance(parent, ast.Call) and _needs_whole(module, parent):
        return True
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        name = parent.targets[0].id
        for node in nodes:
            if isinstance(node, ast.Call) and _needs_whole(module, node) and any(
                    isinstance(n, ast.Name) and n.id == name for a in [*node.args, *node.keywords] for n in walk_nodes(a)):
                return True
            if project is not None and isinstance(node, ast.Call) and any(
                    isinstance(a, ast.Name) and a.id == name and _parses_argument(project, node, a)
                    for a in [*node.args, *(k.value for k in node.keywords)]):
                return True
    return False


def _needs_whole(module: SourceModule, node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and bool(WHOLE_BODY_CONSUMERS.search(qualified(module, node.func) or ""))


# -- stored objects and file hashes -------------------------------------------------------

# Reads of a whole object from a storage service: Google Cloud Storage's blob, Azure's downloader.
WHOLE_OBJECT_READS = {"download_as_bytes", "download_as_string", "download_as_text", "readall"}
HASH_FEEDS = {"update"}
STATIC_ASSETS = re.compile(r"(^|_)static(_|$)", re.I)  # ``app.static_folder``, ``STATIC_ROOT``


def _stored_objects_read_whole(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``s3.get_object(Bucket=b, Key=key)["Body"].read()``, ``blob.download_as_bytes()``,
    ``(await blob_client.download_blob()).readall()``: an object of the store, as large as whoever stored it
    made it, held whole in the worker. One at a key written in the code is a known document, and one parsed
    as JSON is needed whole."""
    gets = {n.targets[0].id: n.value for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name) and _object_get(n.value) is not None}
    yield from _objects_downloaded_to_memory(module, nodes)
    for node in nodes:
        if not isinstance(node, ast.Call) or node.args or node.keywords:
            continue
        read = node.func.attr if isinstance(node.func, ast.Attribute) else None
        owner = node.func.value if read else None
        if read == "read" and isinstance(owner, ast.Subscript) and string_value(owner.slice) == "Body":
            get = owner.value
            get = gets.get(get.id, get) if isinstance(get, ast.Name) else get
            request = _object_get(get)
            if request is None or isinstance(keyword(request, "Key"), ast.Constant):
                continue
        elif read not in WHOLE_OBJECT_READS or read == "readall" and not _downloaded_blob(owner, nodes):
            continue
        whole = module.parents.get(node) if isinstance(module.parents.get(node), ast.Await) else node
        if not _parsed_whole(module, whole, nodes):
            yield _medium_finding(
                module, node, "a stored object is downloaded whole into memory",
                "stream it to its destination in chunks (S3: iter_chunks() of the Body or download_fileobj(); "
                "GCS: blob.download_to_file(); Azure: downloader.chunks() or readinto())")


def _objects_downloaded_to_memory(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``buffer = BytesIO(); s3.download_fileobj(bucket, key, buffer)``: boto3 streams the object, but into memory,
    whole. Not at a key written in the code (a known document), nor a buffer then parsed whole (``json.load``)."""
    buffers = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call) and not n.value.args
               and (_callee(n.value) or "") == "BytesIO"}
    for node in nodes if buffers else ():
        if not (isinstance(node, ast.Call) and method_name(node) == "download_fileobj"):
            continue
        target = node.args[2] if len(node.args) > 2 else keyword(node, "Fileobj")
        key = node.args[1] if len(node.args) > 1 else keyword(node, "Key")
        if not (isinstance(target, ast.Name) and target.id in buffers) or isinstance(key, ast.Constant):
            continue
        if any(isinstance(n, ast.Call) and (WHOLE_DECODERS.search(qualified(module, n.func) or dotted(n.func) or "")
                                            or qualified(module, n.func) == "json.load")
               and any(isinstance(a, ast.Name) and a.id == target.id for a in walk_nodes(n)) for n in nodes):
            continue
        yield _medium_finding(
            module, node, "a stored object is downloaded whole into memory (download_fileobj into a BytesIO)",
            "download it to a temporary file, or stream the Body of get_object() in chunks to its destination")


def _object_get(value: ast.expr) -> ast.Call | None:
    """The ``get_object(...)`` call of ``s3.get_object(...)`` or ``await client.get_object(...)``."""
    value = value.value if isinstance(value, ast.Await) else value
    return value if isinstance(value, ast.Call) and method_name(value) == "get_object" and value.keywords else None


def _downloaded_blob(owner: ast.expr, nodes: list[ast.AST]) -> bool:
    """``download_blob()`` (Azure), directly or through the name bound to it."""
    if isinstance(owner, ast.Name):
        owner = next((n.value for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                      and isinstance(n.targets[0], ast.Name) and n.targets[0].id == owner.id), owner)
    owner = owner.value if isinstance(owner, ast.Await) else owner
    return isinstance(owner, ast.Call) and method_name(owner) == "download_blob"


def _whole_file_hashes(module: SourceModule, fn: ast.AST, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``hashlib.sha256(f.read())`` / ``digest.update(open(path, "rb").read())`` of a file opened in the
    function, or of a file-like object a caller hands in (``hashlib.md5(file.read())`` of a stored upload): the
    whole file in memory for a digest that can be fed in chunks."""
    if any(STATIC_ASSETS.search(n.id if isinstance(n, ast.Name) else n.attr)
           for n in nodes if isinstance(n, (ast.Name, ast.Attribute))):
        return  # the application's static folder: files its authors ship, hashed for cache busting
    opened = _opened_files(nodes, module) | (set(own_parameters(fn)) - REQUEST_NAMES)
    for node in nodes:
        if not (isinstance(node, ast.Call) and node.args and _whole_file_read(node.args[-1], opened)) \
                or isinstance(owner := node.args[-1].func.value, ast.Name) and _size_capped_before(owner, node, nodes):
            continue
        if (call_name(module, node) or "").startswith("hashlib.") or method_name(node) in HASH_FEEDS:
            yield _medium_finding(
                module, node.args[-1], "a file is read whole into memory only to compute its digest",
                "feed it in chunks: hashlib.file_digest(f, 'sha256') (Python 3.11+) or "
                "digest.update(chunk) for each f.read(65536)")


# Files that decompress as they are read: a whole read holds the unpacked size, however small the file on disk.
DECOMPRESSING_OPENS = {"gzip.open", "gzip.GzipFile", "bz2.open", "bz2.BZ2File", "lzma.open", "lzma.LZMAFile",
                       "zstandard.open"}


def _payloads_measured_after_reading(module: SourceModule, project: Project, fn: ast.AST,
                                     nodes: list[ast.AST]) -> Iterator[Finding]:
    """``data = gzip.open(path).read(); if len(data) > MAX_SIZE: return``, ``if len(zf.read(name)) > MAX``,
    ``if len(resp.text) > MAX_SIZE`` of a download: a cap checked on a payload already read whole, so the largest
    one is in memory before it is refused. ``read(MAX_SIZE + 1)``, the member's ``ZipInfo.file_size`` or the
    announced ``Content-Length`` and a streamed read tell the size first."""
    if "len(" not in module.text:
        return
    responses = _responses(module, project, fn, nodes)
    openers = {target: call for target, call in _bindings(nodes)}
    decompressing = {name for name, call in openers.items() if qualified(module, call.func) in DECOMPRESSING_OPENS}
    archives = {name for name, call in openers.items() if (qualified(module, call.func) or "").endswith("ZipFile")}

    def payload(value: ast.expr) -> ast.expr | None:
        if _whole_read(value):
            owner = value.func.value
            opened = isinstance(owner, ast.Call) and qualified(module, owner.func) in DECOMPRESSING_OPENS
            return value if opened or isinstance(owner, ast.Name) and owner.id in decompressing else None
        if isinstance(value, ast.Call) and method_name(value) == "read" and len(value.args) == 1 \
                and isinstance(value.func.value, ast.Name) and value.func.value.id in archives:
            return value
        return None if responses is None else _whole_body(module, project, value, responses)

    read_into = {n.targets[0].id: read for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                 and isinstance(n.targets[0], ast.Name) and (read := payload(n.value)) is not None}
    for node in nodes:
        measured = _measured_against_cap(node)
        read = None if measured is None else read_into.get(measured.id) if isinstance(measured, ast.Name) \
            else payload(measured)
        if read is not None:
            yield _medium_finding(
                module, read, "a payload is read whole into memory before its size is compared with the cap",
                "check the size first (ZipInfo.file_size, Content-Length with stream=True) or read at most the "
                "cap: f.read(MAX_SIZE + 1), iter_content() counting the bytes")


def _measured_against_cap(node: ast.AST) -> ast.expr | None:
    """``x`` of ``len(x) > cap`` (``>=``, ``cap < len(x)``), a cap other than zero."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    left, right = node.left, node.comparators[0]
    if isinstance(node.ops[0], (ast.Lt, ast.LtE)):
        left, right = right, left
    elif not isinstance(node.ops[0], (ast.Gt, ast.GtE)):
        return None
    if not (isinstance(left, ast.Call) and dotted(left.func) == "len" and len(left.args) == 1) \
            or isinstance(right, ast.Constant) and not right.value:
        return None
    return left.args[0]


# A path that names a log (``get_log_file_path()``, ``log_path``, ``LOG_FILE``, ``"worker.log"``): a file the service
# keeps appending to for as long as it runs (not ``login``, ``catalog``, ``changelog``).
LOG_PATH = re.compile(r"(^|_)(logs?|logfile|logpath)(_|$)|\.log$", re.I)
WHOLE_TEXT_READS = {"readlines", "read_text", "read_bytes"}
# What keeps a text whole on its way to a loop: it is decoded, trimmed or cut into lines.
WHOLE_TEXT_STEPS = {"split", "splitlines", "decode", "strip", "rstrip"}


def _log_files_read_whole(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``raw = f.read(); for line in raw.split("\\n")`` (also ``f.readlines()``, ``path.read_text().splitlines()``) of a
    log file: a file that grows for as long as the service runs, read whole only to be walked one line at a time.
    One the code seeks in first (``f.seek(-1024, os.SEEK_END)``) is read from its tail, and is not reported."""
    handles = {target.id for target, opened in _bound_files(nodes) if _names_a_log(opened)}
    handles -= {dotted(n.func.value) for n in nodes if isinstance(n, ast.Call) and method_name(n) == "seek"}
    reads = [n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and (
        (_whole_read(n) or n.func.attr == "readlines" and not n.args) and dotted(n.func.value) in handles
        or n.func.attr in WHOLE_TEXT_READS - {"readlines"} and _names_a_log(n.func.value))]
    if not reads:
        return
    held: dict[str, ast.Call] = {}  # name -> the read whose text it holds
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            read = _whole_text_of(node.value, reads, held)
            if read is not None:
                held[node.targets[0].id] = read
    walked = {id(read) for node in nodes if isinstance(node, (ast.For, ast.comprehension))
              for read in [_whole_text_of(_unwrapped_iterable(node.iter), reads, held)] if read is not None}
    for read in reads:
        if id(read) in walked:
            yield _medium_finding(module, read, "a log file is read whole into memory to be walked line by line",
                                  "iterate the open file (for line in f), which reads one line at a time; to show "
                                  "the latest entries, seek near the end first")


def _bound_files(nodes: list[ast.AST]) -> Iterator[tuple[ast.Name, ast.expr]]:
    """Each name bound to a file opened in the function (``with open(path) as f``, ``f = io.open(path)``,
    ``with path.open() as f``), with the path (or the receiver of ``.open()``)."""
    for target, call in opened_files(nodes, assigned=True):
        path = call.args[0] if call.args else call.func.value if isinstance(call.func, ast.Attribute) else None
        if path is not None:
            yield target, path


def _names_a_log(path: ast.expr) -> bool:
    """A path whose names or text speak of a log: ``get_log_file_path()``, ``self.log_path``, ``Path(LOG_FILE)``,
    ``"/var/log/app.log"``."""
    return any(LOG_PATH.search(n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute)
                               else n.value)
               for n in walk_nodes(path) if isinstance(n, (ast.Name, ast.Attribute))
               or isinstance(n, ast.Constant) and isinstance(n.value, str))


def _whole_text_of(value: ast.expr, reads: list[ast.Call], held: dict[str, ast.Call]) -> ast.Call | None:
    """The read of ``reads`` whose whole text ``value`` is, directly, through a name, or decoded, trimmed or split
    into lines (``raw.split("|\\n")``)."""
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
            and value.func.attr in WHOLE_TEXT_STEPS and not any(value is r for r in reads):
        value = value.func.value
    if isinstance(value, ast.Name):
        return held.get(value.id)
    return next((r for r in reads if value is r), None)


def _unwrapped_iterable(iterable: ast.expr) -> ast.expr:
    """``enumerate(lines)``, ``reversed(lines)`` -> ``lines``."""
    while isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) \
            and iterable.func.id in ("enumerate", "reversed", "list") and iterable.args:
        iterable = iterable.args[0]
    return iterable


# -- fetchall -----------------------------------------------------------------------------


def _fetchalls(module: SourceModule, fn: ast.AST, nodes: list[ast.AST]) -> Iterator[Finding]:
    if not ("fetchall" in module.text or ".execute(" in module.text) or _alters_schema(nodes):
        return
    server_side = _named_cursors(nodes)
    executes: dict[str, list[ast.Call]] = {}
    for node in nodes:
        if isinstance(node, ast.Call) and method_name(node) == "execute" and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name):
            executes.setdefault(node.func.value.id, []).append(node)
    listed = _results_listed(nodes)
    for node in nodes:
        if node in listed:
            execute = listed[node]
        elif not (isinstance(node, ast.Call) and method_name(node) == "fetchall" and isinstance(node.func, ast.Attribute)):
            continue
        elif isinstance(node.func.value, ast.Call) and method_name(node.func.value) == "execute":
            execute = node.func.value
        elif isinstance(node.func.value, ast.Name) and node.func.value.id not in server_side:
            earlier = [c for c in executes.get(node.func.value.id, []) if c.lineno <= node.lineno]
            execute = earlier[-1] if earlier else None
        else:
            execute = None
        if execute is None or not execute.args:
            continue
        if _extended_later(module, fn, execute.args[0], nodes):
            continue
        sql = db.sql_text(module, execute.args[0], fn)
        table = _unbounded_table(sql) if sql and (node not in listed or LEFT_JOIN.search(sql)) else None
        if table is None:
            continue
        yield Finding(
            message=f"{'the result' if node in listed else 'fetchall()'} loads every row of {table} (no WHERE, "
                    "no LIMIT) into one list",
            path=module.path, line=node.lineno, end_line=node.end_lineno, evidence=module.evidence(node),
            fix="iterate the cursor or fetchmany(1000) in a loop (a server-side cursor for large tables), "
                "or add a LIMIT and paginate by key",
        )


RESULT_VIEWS = {"mappings", "scalars"}
# A result listed whole is reported when it joins each row of a table to what the data holds about it (per-user
# counts): a report over the whole table; a plain SELECT of a lookup table (licenses, languages) is a handful.
LEFT_JOIN = re.compile(r"\bLEFT\s+(OUTER\s+)?JOIN\b", re.I)


def _results_listed(nodes: list[ast.AST]) -> dict[ast.AST, ast.Call]:
    """The reads that put every row of an executed statement's result into one list, with the ``execute`` call:
    ``result = conn.execute(text(sql))`` then ``result.all()``, ``result.mappings().all()``, ``list(result)`` or
    ``[dict(r) for r in result.mappings()]`` (also through a name bound to ``result.mappings()``)."""
    bound: dict[str, list[tuple[int, ast.Call | None]]] = {}
    for node in sorted((n for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                        and isinstance(n.targets[0], ast.Name)), key=lambda n: n.lineno):
        source = _result_of(node.value, bound)
        if isinstance(node.value, ast.Call) and method_name(node.value) == "all":
            source = None
        bound.setdefault(node.targets[0].id, []).append((node.lineno, source))

    listed: dict[ast.AST, ast.Call] = {}
    for node in nodes:
        if isinstance(node, ROW_LISTS) and len(node.generators) == 1:
            source = _result_of(node.generators[0].iter, bound)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "all" \
                and not node.args:
            source = _result_of(node.func.value, bound)
        elif isinstance(node, ast.Call) and dotted(node.func) == "list" and len(node.args) == 1:
            source = _result_of(node.args[0], bound)
        else:
            continue
        if source is not None:
            listed[node] = source
    return listed


def _result_of(value: ast.expr, bound: dict[str, list[tuple[int, ast.Call | None]]]) -> ast.Call | None:
    """The ``execute`` call whose result ``value`` is: the call, its ``.mappings()``/``.scalars()``, or a name
    bound to one of these by the last assignment above it."""
    if isinstance(value, ast.Call) and method_name(value) in RESULT_VIEWS and isinstance(value.func, ast.Attribute):
        value = value.func.value
    if isinstance(value, ast.Name):
        return next((source for line, source in reversed(bound.get(value.id, [])) if line < value.lineno), None)
    if isinstance(value, ast.Call) and method_name(value) == "execute" and isinstance(value.func, ast.Attribute):
        return value
    return None


# What a query of a model can chain and still hand back every row it picks.
MODEL_QUERY_STEPS = {"all", "filter", "filter_by", "exclude", "where", "order_by", "select_related", "prefetch_related",
                     "only", "defer", "distinct", "options", "scalars", "join", "outerjoin"}
ROW_FILTERS = {"filter", "filter_by", "exclude", "where"}


def _rows_loaded_to_count(module: SourceModule, project: Project, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``len(Model.objects.all())``, ``len(Model.query.all())``, ``len(session.query(Model).all())``,
    ``len(list(Model.objects.filter(active=True)))``: every row of the table (or of a share picked by flags) is loaded
    and built into objects only to be counted. Rows one object's key picks (``filter(owner=user)``) are few."""
    for node in nodes:
        if isinstance(node, ast.Call) and dotted(node.func) == "len" and len(node.args) == 1:
            rows = node.args[0]
            if isinstance(rows, ast.Call) and dotted(rows.func) == "list" and len(rows.args) == 1:
                rows = rows.args[0]
            if _whole_model_rows(rows) and not _few_row_model(project, rows):
                yield _medium_finding(module, node, "every row of the query is loaded into memory only to be counted",
                                      "count in the database: query.count() (SQLAlchemy: select(func.count()))")
            elif _paginator_count(module, node):
                yield _medium_finding(
                    module, node, "the paginator counts its query with len(): every row it matches is loaded "
                                  "into memory on each page request",
                    "let Django's Paginator count it (object_list.count(), a COUNT in the database), or page "
                    "without a count (cursor pagination)")


ROW_LISTS = (ast.ListComp, ast.SetComp, ast.DictComp)


def _tables_served_whole(module: SourceModule, project: Project, fn: ast.AST,
                         nodes: list[ast.AST]) -> Iterator[Finding]:
    """``sources = Source.query.filter_by(pending=False).all()`` in a request handler, ``session.query(Model).all()``,
    ``list(Model.objects.all())``, ``[s.to_json() for s in Model.objects.filter(active=True)]``: every row of a table
    (or of a share picked by flags) is loaded into one list on each request, however large the table has grown.
    Rows a filter by a value picks (``filter_by(project_id=project.id)``), a slice or a limit are bounded by the
    request; the models of a handful of rows (one per choice of a unique field) and the models only administrators add
    rows to (staff accounts made on an admin page or from the command line) are not reported."""
    if handler_of(module, fn.body[0], project) is None:
        return
    staff_made = _staff_made_models(project)
    for node in nodes:
        if isinstance(node, ast.Call) and method_name(node) == "all" and not node.args \
                and not _django_query(node):
            rows = node
        elif isinstance(node, ast.Call) and dotted(node.func) in ("list", "sorted") and len(node.args) == 1:
            rows = node.args[0]
        elif isinstance(node, ROW_LISTS):
            rows = node.generators[0].iter
        else:
            continue
        if _whole_model_rows(rows) and not _few_row_model(project, rows) and _queried_model(rows) not in staff_made:
            yield _medium_finding(
                module, node, "every row of the query is loaded into one list on each request (no filter by a "
                              "value, no LIMIT)",
                "page it (LIMIT and a keyset filter on the last key seen) or stream the rows "
                "(yield_per / .iterator()) into a streamed response")


def _queried_model(query: ast.expr) -> str | None:
    """``Source`` for ``Source.query...``, ``Source.objects...``, ``session.query(Source, ...)``, ``select(Source)``."""
    for node in walk_nodes(query):
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "query") and isinstance(node.value, ast.Name):
            return node.value.id
        if isinstance(node, ast.Call) and method_name(node) in ("query", "select") and node.args \
                and isinstance(node.args[0], ast.Name):
            return node.args[0].id
    return None


STAFF_MADE_MODELS = "R5.buffer-not-stream:staff-made-models"


def _staff_made_models(project: Project) -> frozenset[str]:
    """Classes every construction of which (``Journalist(username=...)``, ``Journalist.objects.create(...)``) sits in a
    handler only administrators reach or in code an operator runs (a command line, a set-up script): the rows grow
    only as fast as the staff add them."""
    if STAFF_MADE_MODELS in project.facts:
        return project.facts[STAFF_MADE_MODELS]
    by_staff: dict[str, bool] = {}
    for module in project.modules:
        operator_run = runs_offline(module, project) or is_management_command(module.path) or has_main_block(module)
        for node in walk_nodes(module.tree):
            made = _constructed_class(node)
            if made is None:
                continue
            fn = enclosing_function(module, node)
            by_staff[made] = by_staff.get(made, True) and (operator_run or fn is not None and _admin_only(fn))
    project.facts[STAFF_MADE_MODELS] = frozenset(name for name, staff in by_staff.items() if staff)
    return project.facts[STAFF_MADE_MODELS]


def _constructed_class(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name) and node.func.id[:1].isupper():
        return node.func.id
    manager = node.func.value if isinstance(node.func, ast.Attribute) and node.func.attr == "create" else None
    if isinstance(manager, ast.Attribute) and manager.attr == "objects" and isinstance(manager.value, ast.Name):
        return manager.value.id
    return None


def _django_query(call: ast.Call) -> bool:
    """``Model.objects....all()``: a lazy Django queryset, not yet a list."""
    return any(isinstance(n, ast.Attribute) and n.attr == "objects" for n in walk_nodes(call.func))


DJANGO_PAGINATORS = {"django.core.paginator.Paginator"}


def _paginator_count(module: SourceModule, node: ast.Call) -> bool:
    """``len(self.object_list)`` in the ``count`` of a subclass of Django's ``Paginator``: Django counts a
    query with ``.count()``; ``len()`` evaluates it, every row the view's filter picks, to count them."""
    rows = node.args[0]
    if not (isinstance(rows, ast.Attribute) and rows.attr == "object_list" and dotted(rows.value) == "self"):
        return False
    fn = enclosing_function(module, node)
    owner = module.parents.get(fn) if fn is not None else None
    return fn.name == "count" and isinstance(owner, ast.ClassDef) \
        and any(qualified(module, base) in DJANGO_PAGINATORS for base in owner.bases)


FEW_ROW_MODELS = "R5.buffer-not-stream:few-row-models"


def _few_row_model(project: Project, rows: ast.expr) -> bool:
    """The query reads ``Model.objects`` of a model that holds one row per choice of a unique field
    (``import_state = CharField(unique=True, choices=IMPORT_STATES)``): a handful of rows at most."""
    return any(isinstance(n, ast.Attribute) and n.attr == "objects" and isinstance(n.value, ast.Name)
               and n.value.id in _few_row_models(project) for n in walk_nodes(rows))


def _few_row_models(project: Project) -> frozenset[str]:
    if FEW_ROW_MODELS not in project.facts:
        project.facts[FEW_ROW_MODELS] = frozenset(
            cls.name for module in project.modules if "unique" in module.text and "choices" in module.text
            for cls in module.nodes_of(ast.ClassDef) if any(
                isinstance(field, ast.Call) and _is_true(keyword(field, "unique"))
                and _literal_choices(cls, keyword(field, "choices"))
                for st in cls.body if isinstance(st, ast.Assign) for field in [st.value]))
    return project.facts[FEW_ROW_MODELS]


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _literal_choices(cls: ast.ClassDef, choices: ast.expr | None) -> bool:
    """A list or tuple literal, or a name the class body binds to one."""
    if isinstance(choices, ast.Name):
        choices = _sole_assignment(cls.body, choices.id)
    return isinstance(choices, (ast.List, ast.Tuple)) and bool(choices.elts)


def _whole_model_rows(query: ast.expr) -> bool:
    """A query of a model's table (``Model.objects``, ``Model.query``, ``session.query(Model)``, a ``select(Model)``
    a session runs) filtered by constants only: as many rows as the table holds."""
    node, stepped = query, False
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MODEL_QUERY_STEPS \
            and not (node.func.attr == "scalars" and node.args):  # session.scalars(statement) runs one
        if node.func.attr in ROW_FILTERS and not _constant_filter(node):
            return False
        node, stepped = node.func.value, True
    if isinstance(node, ast.Attribute) and node.attr in ("objects", "query"):
        return stepped and isinstance(node.value, ast.Name) and node.value.id[:1].isupper()
    if stepped and isinstance(node, ast.Call) and method_name(node) in ("execute", "scalars") and node.args:
        return _whole_model_rows(node.args[0])  # session.execute(select(Model)).scalars().all()
    if isinstance(node, ast.Call) and dotted(node.func) == "select":
        return bool(node.args)  # the statement a session runs: its steps are the session's
    return stepped and isinstance(node, ast.Call) and method_name(node) == "query" \
        and (dotted(node.func.value) or "").endswith("session") and bool(node.args)


def _constant_filter(call: ast.Call) -> bool:
    """A filter by constants alone (``active=True``, ``Task.state == State.DONE``): every name it reads is a class."""
    return all(n.id[:1].isupper() for value in [*call.args, *(k.value for k in call.keywords)]
               for n in walk_nodes(value) if isinstance(n, ast.Name))


SCHEMA_CHANGE = re.compile(r"^\s*(ALTER|CREATE)\s+TABLE\b", re.I)


def _alters_schema(nodes: list[ast.AST]) -> bool:
    """A function that runs ``ALTER TABLE`` / ``CREATE TABLE`` (also SQLAlchemy's ``table.create(bind=engine)``,
    ``metadata.create_all(engine)``): a schema upgrade run once at start-up, whose reads copy the rows it migrates
    or check the table it made."""
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and SCHEMA_CHANGE.match(n.value)
               or isinstance(n, ast.Call) and (method_name(n) == "create_all"
                                               or method_name(n) == "create" and keyword(n, "bind") is not None)
               for n in nodes)


# What hands a Core result's rows over one by one (``.mappings()``, ``.scalars()``) or all at once.
RESULT_VIEWS = {"mappings", "scalars", "columns", "tuples", "unique"}
RESULT_LISTS = {"fetchall", "all"}


def _whole_tables(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``[dict(row) for row in conn.execute(table.select()).mappings()]``, ``conn.execute(table.select()).fetchall()``:
    a SQLAlchemy Core ``Table.select()`` with nothing chained to it (no ``where``, no ``limit``) read into
    one list, the whole table in memory (a database dump that holds every table at once)."""
    if not module.imports_module("sqlalchemy") or _alters_schema(nodes):
        return
    for node in nodes:
        if not (isinstance(node, ast.Call) and method_name(node) == "execute" and node.args
                and _whole_table_select(module, node.args[0])):
            continue
        result, parent = node, module.parents.get(node)
        while isinstance(parent, ast.Attribute) and parent.attr in RESULT_VIEWS:
            call = module.parents.get(parent)
            if not (isinstance(call, ast.Call) and call.func is parent):
                break
            result, parent = call, module.parents.get(call)
        listed = isinstance(parent, ast.Attribute) and parent.attr in RESULT_LISTS \
            or isinstance(parent, ast.comprehension) and parent.iter is result \
            and isinstance(module.parents.get(parent), (ast.ListComp, ast.DictComp, ast.SetComp)) \
            or isinstance(parent, ast.Call) and result in parent.args and dotted(parent.func) in ("list", "tuple")
        if listed:
            table = dotted(node.args[0].func.value) or "the table"
            yield _medium_finding(
                module, node, f"every row of {table} (select() with no where, no limit) is read into one list",
                "iterate the result row by row (yield_per / stream_results=True) and write each row out, "
                "or page through the table by key")


def _whole_table_select(module: SourceModule, query: ast.expr) -> bool:
    """``table.select()`` / ``Model.__table__.select()`` with no argument and nothing chained: not
    ``sqlalchemy.select()``, and not an instance's relationship (``self.groups.select()`` is filtered by
    its owner's key)."""
    if not (isinstance(query, ast.Call) and isinstance(query.func, ast.Attribute) and query.func.attr == "select"
            and not query.args and not query.keywords):
        return False
    table = query.func.value
    return (isinstance(table, ast.Name) or isinstance(table, ast.Attribute) and table.attr == "__table__") \
        and not (qualified(module, table) or "").startswith("sqlalchemy")


def _extended_later(module: SourceModule, fn: ast.AST, query: ast.expr, nodes: list[ast.AST]) -> bool:
    """``sql += " WHERE ..."``: the text first bound to the name is not the whole query. Not when every
    extension is optional by the function's own signature (``if where: sql += " WHERE " + where`` where
    ``where`` comes from a parameter that defaults to None): a caller that passes nothing reads the whole table."""
    return isinstance(query, ast.Name) and any(
        isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id == query.id
        and not _optional_extension(module, fn, n, nodes) for n in nodes)


def _optional_extension(module: SourceModule, fn: ast.AST, statement: ast.stmt, nodes: list[ast.AST]) -> bool:
    """``statement`` runs under an ``if`` whose test reads a parameter defaulting to None, directly or through a
    name bound from it (``where, params = build_where(filters)`` with ``filters=None``)."""
    optional = _none_default_parameters(fn)
    derived = {t.id for n in nodes if isinstance(n, ast.Assign)
               and any(isinstance(v, ast.Name) and v.id in optional for v in walk_nodes(n.value))
               for target in n.targets for t in walk_nodes(target) if isinstance(t, ast.Name)}
    node = module.parents.get(statement)
    while node is not None and node is not fn:
        if isinstance(node, ast.If) and any(isinstance(v, ast.Name) and v.id in optional | derived
                                            for v in walk_nodes(node.test)):
            return True
        node = module.parents.get(node)
    return False


def _none_default_parameters(fn: ast.AST) -> set[str]:
    arguments = fn.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = [*([None] * (len(positional) - len(arguments.defaults))), *arguments.defaults]
    pairs = [*zip(positional, defaults), *zip(arguments.kwonlyargs, arguments.kw_defaults)]
    return {a.arg for a, default in pairs if default is not None and is_none(default)}


def _named_cursors(nodes: list[ast.AST]) -> set[str]:
    """Names bound to ``conn.cursor("name")`` / ``cursor(name=...)``: server-side cursors."""
    named: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
        elif isinstance(node, (ast.With, ast.AsyncWith)) and len(node.items) == 1 \
                and isinstance(node.items[0].optional_vars, ast.Name):
            value = node.items[0].context_expr
        else:
            continue
        if isinstance(value, ast.Call) and method_name(value) == "cursor" and (value.args or keyword(value, "name")):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.items[0].optional_vars
            named.add(target.id)
    return named


def _unbounded_table(sql: str) -> str | None:
    """The table a SELECT reads in full: no WHERE, LIMIT, FETCH, GROUP BY or lone aggregate."""
    try:
        statement = sqlglot.parse_one(PLACEHOLDERS.sub("1", sql), dialect="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError, RecursionError):
        return None
    if not isinstance(statement, exp.Select):
        return None
    return _unbounded_select(statement, {cte.alias: cte.this for cte in statement.ctes})


def _unbounded_select(statement: exp.Expression, ctes: dict[str, exp.Expression]) -> str | None:
    if not isinstance(statement, exp.Select):
        return None
    if any(statement.args.get(part) for part in ("where", "limit", "fetch", "group", "having", "offset")):
        return None
    if any(isinstance(e, exp.AggFunc) or e.find(exp.AggFunc) for e in statement.expressions):
        return None
    source = statement.args.get("from") or statement.args.get("from_")
    if source is not None and isinstance(source.this, exp.Subquery) and not statement.args.get("joins"):
        return _unbounded_select(source.this.this, ctes)  # FROM (SELECT ... GROUP BY doc_id) AS counts
    table = source.find(exp.Table) if source is not None else None
    joins = statement.args.get("joins") or []
    if table is None or not all(_left_join(j) for j in joins) or not isinstance(table.this, exp.Identifier):
        return None  # a join, or a set-returning function such as generate_series()
    if not table.db and table.name in ctes:
        return _unbounded_select(ctes.pop(table.name), ctes)  # WITH mine AS (... WHERE owner_id = %s) ... FROM mine
    if _system_catalog(table) or table.alias == db.DYNAMIC_PART or _one_row_table(table):
        return None  # FROM session_queue {where}: a clause the caller supplies
    return table.sql(dialect="postgres")


def _left_join(join: exp.Expression) -> bool:
    """``LEFT JOIN (SELECT user_id, count(*) ... GROUP BY user_id) AS counts ON ...``: keeps every row of the table
    on its left, whatever it joins (an inner join may drop some)."""
    return (join.args.get("side") or "").upper() == "LEFT"


SYSTEM_SCHEMAS = {"pg_catalog", "information_schema", "mysql", "performance_schema", "sys"}
# The migration tools' own bookkeeping: the revision the schema is at (Alembic, Django, Rails-style tools).
MIGRATION_TABLES = {"alembic_version", "flyway_schema_history"}  # and any ``*migrations`` table


def _system_catalog(table: exp.Table) -> bool:
    """``pg_collation``, ``information_schema.tables``, ``sqlite_master``: the database's own catalog, and
    ``alembic_version``, the migration tool's record of the schema's revisions: sized by the schema and
    its history, not by the data."""
    if table.db:
        return table.db.lower() in SYSTEM_SCHEMAS
    return table.name.lower().startswith(("pg_", "sqlite_")) or table.name.lower() in MIGRATION_TABLES \
        or "migrations" in table.name.lower()


def _one_row_table(table: exp.Table) -> bool:
    """``FROM dual`` (Oracle, MySQL): a table of one row, to select an expression from."""
    return not table.db and table.name.lower() == "dual"


# -- files copied into an archive -------------------------------------------------------


def _zip_copies(module: SourceModule, project: Project, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``with file.open() as f: zip_file.writestr(path, f.read())``, ``zip_file.writestr(name,
    user_file.file.read())`` (a stored file field's file), ``zip_file.writestr(path, fobj.read())`` of
    ``fobj = handler.get_file_object()``, a function of the project one definition of which hands back a
    file it read whole: each file copied into the archive passes through
    memory whole, however large the stored file is, where ``zip_file.write(path)`` or
    ``shutil.copyfileobj(f, zip_file.open(name, "w"))`` copy it in chunks."""
    opened = _opened_files(nodes, module)
    readers = _some_file_reading_functions(project) if any(method_name(n) == "writestr" for n in nodes
                                                           if isinstance(n, ast.Call)) else frozenset()
    fetched = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(
        n.targets[0], ast.Name) and isinstance(n.value, ast.Call) and _callee(n.value) in readers}
    for node in nodes:
        if not (isinstance(node, ast.Call) and method_name(node) == "writestr" and len(node.args) >= 2):
            continue
        data = node.args[1]
        if _whole_file_read(data, opened) or _whole_read(data) and isinstance(data.func.value, ast.Attribute) \
                and data.func.value.attr == "file" or _whole_read(data) and (
                    dotted(data.func.value) in fetched
                    or isinstance(data.func.value, ast.Call) and _callee(data.func.value) in readers):
            yield _medium_finding(
                module, data, "a file is read whole into memory to be copied into a zip archive",
                "copy it in chunks: zip_file.write(path, arcname) or "
                "shutil.copyfileobj(f, zip_file.open(arcname, 'w'), 65536)")


# What sends a body back: the response classes, and those that send a file object (Starlette, CherryPy).
ARCHIVE_SINKS = RESPONSE_SINKS | {"StreamingResponse", "serve_fileobj"}
WRITE_MODES = {"w", "a", "x"}


def _response_bodies(module: SourceModule, nodes: Iterable[ast.AST], sinks: set[str]
                     ) -> Iterator[tuple[ast.Call, ast.expr]]:
    """Calls among ``nodes`` that send a response of one of ``sinks``, with the body each one sends."""
    for node in nodes:
        if not (isinstance(node, ast.Call) and (call_name(module, node) or _callee(node) or "").rsplit(".", 1)[-1]
                in sinks):
            continue
        body = node.args[0] if node.args else keyword(node, "content")
        if body is not None:
            yield node, body


def _archives_built_in_memory(module: SourceModule, project: Project, fn: ast.AST,
                              nodes: list[ast.AST]) -> Iterator[Finding]:
    """``buffer = BytesIO(); with ZipFile(buffer, "w") as archive: archive.write(path)`` for each file, then
    ``HttpResponse(buffer.getvalue())`` (or ``send_file(buffer)``): the whole archive, every file packed into it,
    sits in the worker's memory until it is sent, where a temporary file sent with ``FileResponse`` does not.
    Only archives that pack files (``write(path)``), entries written in a loop, or that a helper fills
    (``zipdir(path, archive)``): one note zipped is small. One only administrators ask for (a debug pack sent
    by an admin-only handler, or by a helper only such handlers call) is the operator's to size."""
    buffers = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call) and not n.value.args
               and (call_name(module, n.value) or dotted(n.value.func) or "").rsplit(".", 1)[-1] == "BytesIO"}
    archives: dict[str, str] = {}  # the archive's name -> its buffer's
    for node in nodes:
        bindings = [(n.targets[0], n.value) for n in [node] if isinstance(n, ast.Assign) and len(n.targets) == 1] \
            + [(i.optional_vars, i.context_expr) for i in getattr(node, "items", []) if i.optional_vars is not None]
        for target, value in bindings:
            if isinstance(target, ast.Name) and isinstance(value, ast.Call) and value.args \
                    and isinstance(value.args[0], ast.Name) and value.args[0].id in buffers and _write_mode(value) \
                    and (call_name(module, value) or dotted(value.func) or "").endswith("ZipFile"):
                archives[target.id] = value.args[0].id
    packed = {archives[name] for name in archives if _packs_files(module, name, nodes)}
    if packed and _operators_only(project, fn):
        return
    packed |= {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name) and _reads_buffer(n.value, packed)}
    bodies = [*_response_bodies(module, nodes, ARCHIVE_SINKS), *_written_to_responses(module, nodes)] if packed else []
    sent = False
    for node, body in bodies:
        if any(isinstance(n, ast.Name) and n.id in packed for n in walk_nodes(body)):
            sent = True
            yield _medium_finding(
                module, node, "a zip archive of files is built whole in memory to be sent back",
                "build it in a temporary file (tempfile.TemporaryFile) and stream that (FileResponse, send_file), "
                "or stream the archive as it is written (zipstream)")
    handed = next((n for n in nodes if isinstance(n, ast.Return) and _returned_buffer(n.value, packed)), None) \
        if packed and not sent else None
    stored = next((n for n in nodes if isinstance(n, ast.Call) and _stores_upload(n) and any(
        isinstance(a, ast.Name) and a.id in packed or _reads_buffer(a, packed) for a in n.args)), None) \
        if packed and not sent and handed is None else None
    if handed is not None or stored is not None:
        made = next(n for n in nodes if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
                    and n.targets[0].id in set(archives.values()) & packed)
        where = f"handed back on line {handed.lineno} (for the caller to send or store)" if handed is not None \
            else f"stored from memory on line {stored.lineno}"
        yield _medium_finding(
            module, made, f"a zip archive of files is built whole in memory and {where}",
            "build it in a temporary file (tempfile.TemporaryFile) and hand that on, "
            "or stream the archive as it is written (zipstream)")


def _stores_upload(call: ast.Call) -> bool:
    """``ContentFile(data)`` (Django's in-memory file to save), ``upload_file(data)``, ``s3.put_object(Body=...)``."""
    name = _callee(call) or ""
    return name == "ContentFile" or name.startswith(UPLOAD_PREFIX) or name in OBJECT_PUTS


def _returned_buffer(value: ast.expr | None, buffers: set[str]) -> bool:
    """``return buffer``, ``return name, buffer, size``, ``return buffer.getvalue()``: the archive's bytes leave."""
    parts = value.elts if isinstance(value, ast.Tuple) else [value]
    return any(isinstance(p, ast.Name) and p.id in buffers or p is not None and _reads_buffer(p, buffers)
               for p in parts)


def _reads_buffer(value: ast.expr, buffers: set[str]) -> bool:
    """``buffer.getvalue()`` (``.read()``) of one of ``buffers``: the archive's bytes under another name."""
    return isinstance(value, ast.Call) and method_name(value) in {"getvalue", "read"} \
        and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Name) \
        and value.func.value.id in buffers


ADMIN_HELPERS = "R5.buffer-not-stream:admin-helpers"


def _admin_only_helpers(project: Project) -> frozenset[str]:
    """Names of functions the project calls, and calls only from handlers only administrators reach
    (``return debug_info.send_debug()`` in an ``@admin_required`` view), from code an operator runs (a command
    line, a script) or from other such functions (a service method an admin handler calls, which calls the
    helper). Tests are no callers."""
    if ADMIN_HELPERS in project.facts:
        return project.facts[ADMIN_HELPERS]
    callers = []
    for module in project.modules:
        if runs_offline(module, project):
            continue
        operator = is_offline_file(module, project)
        for fn in walk_nodes(module.tree):
            if isinstance(fn, FUNCTION_TYPES):
                called = {_callee(n) for n in walk_function_body(fn) if isinstance(n, ast.Call)} - {None}
                callers.append((fn.name, operator or _admin_only(fn), called))

    def judge(known: frozenset[str]) -> dict[str, bool]:
        verdicts: dict[str, bool] = {}
        for name, admin, called in callers:
            for callee in called:
                verdicts[callee] = verdicts.get(callee, True) and (admin or name in known)
        return verdicts

    project.facts[ADMIN_HELPERS] = _settled_names(judge, rounds=4)  # a helper of a helper
    return project.facts[ADMIN_HELPERS]


def _operators_only(project: Project, fn: ast.AST) -> bool:
    """A handler only administrators reach, or a function only they and operators' code call."""
    return _admin_only(fn) or fn.name in _admin_only_helpers(project)


def _packs_files(module: SourceModule, archive: str, nodes: list[ast.AST]) -> bool:
    """The archive gets files copied in (``archive.write(path)``), entries written in a loop, or is handed to a
    function that fills it (``zipdir(folder, archive)``)."""
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        own = isinstance(node.func, ast.Attribute) and dotted(node.func.value) == archive
        if own and node.func.attr == "write" or own and node.func.attr == "writestr" and _in_loop(module, node):
            return True
        if not own and any(isinstance(a, ast.Name) and a.id == archive for a in node.args):
            return True
    return False


def _in_loop(module: SourceModule, node: ast.AST) -> bool:
    parent = module.parents.get(node)
    while parent is not None and not isinstance(parent, FUNCTION_TYPES):
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            return True
        parent = module.parents.get(parent)
    return False


def _write_mode(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else keyword(call, "mode")
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and mode.value[:1] in WRITE_MODES


def _opened_files(nodes: list[ast.AST], module: SourceModule | None = None) -> set[str]:
    """Names a ``with`` binds to a file it opens (``open(path)``, ``gzip.open(path)``, ``field.open()``), unless
    the path is the code's own: written in it, or next to it (``os.path.join(os.path.dirname(__file__), ...)``),
    also through a constant of the module (``module`` given) that holds such a path, or an environment
    variable defaulting to one (``DEFAULT_IMAGE_PATH = os.environ.get("DEFAULT_IMAGE_PATH", os.path.join(
    os.path.dirname(__file__), "icon.png"))``): a template or a bundled file is one known document."""
    bindings = {n.targets[0].id: n.value for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name)}
    constants = _module_constants(module) if module is not None else {}

    def bundled(path: ast.expr) -> bool:
        if isinstance(path, ast.Name):
            path = bindings.get(path.id) or constants.get(path.id) or path
        return isinstance(path, ast.Constant) or any(isinstance(n, ast.Name) and n.id == "__file__"
                                                     for n in walk_nodes(path))

    return {name.id for name, call in opened_files(nodes) if not (call.args and bundled(call.args[0]))}


def _module_constants(module: SourceModule) -> dict[str, ast.expr]:
    """Upper-case names the module binds once at its top level, with their values."""
    values: dict[str, list[ast.expr]] = {}
    for st in module.tree.body:
        if isinstance(st, (ast.Assign, ast.AnnAssign)) and st.value is not None:
            for target in st.targets if isinstance(st, ast.Assign) else [st.target]:
                if isinstance(target, ast.Name) and target.id.isupper():
                    values.setdefault(target.id, []).append(st.value)
    return {name: found[0] for name, found in values.items() if len(found) == 1}


def _whole_read(node: ast.AST) -> bool:
    """``owner.read()`` with no size."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "read" \
        and not node.args and not node.keywords


def _whole_file_read(node: ast.AST, opened: set[str]) -> bool:
    """``f.read()`` of a file a ``with`` opened, or ``open(path, "rb").read()`` of a path not written in the code."""
    if not _whole_read(node):
        return False
    owner = node.func.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "open" and owner.args:
        return not any(isinstance(n, ast.Constant) and isinstance(n.value, str) or isinstance(n, ast.Name)
                       and n.id == "__file__" for n in walk_nodes(owner.args[0]))
    return dotted(owner) in opened


FILE_OBJECT_TYPES = {"BinaryIO", "IO", "BufferedReader"}


def _file_objects_copied(module: SourceModule, project: Project, fn: ast.AST,
                         nodes: list[ast.AST]) -> Iterator[Finding]:
    """A function annotated to hand back a file object (``-> BinaryIO``) that returns a file it opened copied
    whole into memory (``stream = BytesIO(f.read())`` / ``return stream``): the open file would do, read by the
    caller as it needs it. One every definition of which does so is reported where it is sent back."""
    returned = getattr(fn, "returns", None)
    returned = returned.value if isinstance(returned, ast.Subscript) else returned
    if (dotted(returned) or "").rsplit(".", 1)[-1] not in FILE_OBJECT_TYPES or fn.name in _file_reading_functions(project):
        return
    opened = _opened_files(nodes, module)

    def copied(value: ast.expr | None) -> bool:
        return isinstance(value, ast.Call) and (call_name(module, value) or "").rsplit(".", 1)[-1] == "BytesIO" \
            and bool(value.args) and _whole_file_read(value.args[0], opened)

    copies = {n.targets[0].id: n for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
              and isinstance(n.targets[0], ast.Name) and copied(n.value)}
    for node in nodes:
        if isinstance(node, ast.Return) and (copied(node.value) or isinstance(node.value, ast.Name)
                                             and node.value.id in copies):
            source = copies[node.value.id].value if isinstance(node.value, ast.Name) else node.value
            yield _medium_finding(
                module, source, "a stored file is copied whole into memory to be handed back as a file object",
                "hand back the open file (open(path, 'rb')) and let the caller read it in chunks and close it")


# -- files sent back whole ----------------------------------------------------------------


def _files_sent_whole(module: SourceModule, project: Project, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``HttpResponse(content)`` where ``content = f.read()`` of a file opened in the function, or the result of
    a function of the project that returns one (``content = _get_asset_content(asset)``): the whole stored file
    sits in the worker's memory while it is sent, where ``FileResponse(open(path, "rb"))`` /
    ``send_file(path)`` stream it from the disk."""
    opened = _opened_files(nodes, module)
    readers = _file_reading_functions(project)

    def whole_file(value: ast.expr) -> bool:
        return _whole_file_read(value, opened) or isinstance(value, ast.Call) and _callee(value) in readers

    contents = {node.targets[0].id for node in nodes if isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and whole_file(node.value)}
    for node, body in [*_response_bodies(module, nodes, RESPONSE_SINKS), *_written_to_responses(module, nodes)]:
        if whole_file(body) or isinstance(body, ast.Name) and body.id in contents:
            yield _medium_finding(
                module, node, "a stored file is read whole into memory to be sent back",
                "stream it from the disk: FileResponse(open(path, 'rb')) (Django, Starlette) or send_file(path) "
                "(Flask)")


# Django's response that holds its body in memory (``FileResponse`` and ``StreamingHttpResponse`` iterate a file;
# DRF's ``Response(serializer.data)`` serializes data, not a file).
BUFFERED_RESPONSES = {"HttpResponse"}
MODEL_FILE_FIELDS = "R5.buffer-not-stream:model-file-fields"


def _stored_fields_sent_whole(module: SourceModule, project: Project, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``HttpResponse(content=cache.data)`` or ``HttpResponse(item.upload.read())`` where ``data``/``upload`` is a
    ``FileField`` of a Django model of the project: ``HttpResponse`` consumes the stored file whole (from S3 too)
    into the worker's memory, where ``FileResponse(item.upload.open("rb"))`` streams it."""
    fields = _model_file_fields(project) if "Response" in module.text else frozenset()
    if not fields:
        return
    for node, body in _response_bodies(module, nodes, BUFFERED_RESPONSES):
        field = body.func.value if _whole_read(body) else body
        if isinstance(field, ast.Attribute) and field.attr in fields and isinstance(field.value, (ast.Name, ast.Attribute)):
            yield _medium_finding(
                module, node, "a stored file is read whole into memory to be sent back",
                "stream it: FileResponse(obj.field.open('rb')) (Django) reads it in chunks")


def _model_file_fields(project: Project) -> frozenset[str]:
    """Names a Django model class of the project declares as a ``FileField`` / ``ImageField`` (not one named for a
    small picture, nor one another model declares as another kind of field)."""
    if MODEL_FILE_FIELDS in project.facts:
        return project.facts[MODEL_FILE_FIELDS]
    files: set[str] = set()
    others: set[str] = set()
    for module in project.modules:
        if "Field(" not in module.text:
            continue
        for cls in walk_nodes(module.tree):
            if not isinstance(cls, ast.ClassDef):
                continue
            for st in cls.body:
                if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name) \
                        and isinstance(st.value, ast.Call):
                    kind = (dotted(st.value.func) or "").rsplit(".", 1)[-1]
                    if kind in ("FileField", "ImageField"):
                        files.add(st.targets[0].id)
                    elif kind.endswith("Field"):
                        others.add(st.targets[0].id)
    project.facts[MODEL_FILE_FIELDS] = frozenset(
        name for name in files - others if not SMALL_PICTURE_FIELDS.search(name))
    return project.facts[MODEL_FILE_FIELDS]


# Wrappers a loop walks a query through (``tqdm(Model.objects.all())``, ``enumerate(...)``).
ITERABLE_WRAPPERS = {"enumerate", "tqdm", "iter", "list"}


def _querysets_exported_whole(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``for item in Model.objects.all():`` writing each row into a file opened for writing (``gzip.open(path,
    "wt")``, also through a ``csv`` writer of it): iterating a queryset fills its result cache, so every row of the
    table is in memory before the export ends, where ``.iterator(chunk_size=2000)`` streams them."""
    if "objects" not in module.text:
        return
    files = {name.id for name, call in opened_files(nodes) if _write_mode(call) or _path_write_mode(call)}
    files |= {node.targets[0].id for node in nodes if isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call) and node.value.args
              and isinstance(node.value.args[0], ast.Name) and node.value.args[0].id in files}  # csv.writer(f)
    if not files:
        return
    for loop in nodes:
        if not isinstance(loop, (ast.For, ast.AsyncFor)):
            continue
        iterable = loop.iter
        while isinstance(iterable, ast.Call) and (dotted(iterable.func) or "").rsplit(".", 1)[-1] in ITERABLE_WRAPPERS \
                and iterable.args:
            iterable = iterable.args[0]
        rows = _unlimited_rows(iterable, {}, nodes)
        if rows is not None and (dotted(rows.func.value) or "").endswith(".objects") and any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and dotted(n.func.value) in files
                and n.func.attr.startswith("write") for st in loop.body for n in walk_nodes(st)):
            yield _medium_finding(
                module, loop, f"every row of {dotted(rows.func.value)} is loaded into memory to be written out",
                "walk the rows with .iterator(chunk_size=2000), which streams them without filling the "
                "queryset's cache")


def _path_write_mode(call: ast.Call) -> bool:
    """``path.open("wb")``: a ``pathlib`` path opened for writing (the mode is its first argument)."""
    return isinstance(call.func, ast.Attribute) and bool(call.args) and isinstance(call.args[0], ast.Constant) \
        and isinstance(call.args[0].value, str) and call.args[0].value[:1] in WRITE_MODES


def _archive_members_passed_on(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``group.add_entry(unzip.read(entry), entry.filename)`` for each entry of ``unzip.infolist()``: every member
    of the archive is decompressed whole into memory to be handed on (stored, uploaded), however large it
    unpacks, where ``unzip.open(entry)`` reads it in chunks. A member parsed whole (``json.loads(zf.read(name))``)
    is needed whole."""
    if "ZipFile" not in module.text:
        return
    archives = {name.id for name, call in opened_files(nodes, assigned=True)
                if (dotted(call.func) or "").rsplit(".", 1)[-1] == "ZipFile"}
    archives |= {i.optional_vars.id for n in nodes if isinstance(n, (ast.With, ast.AsyncWith)) for i in n.items
                 if isinstance(i.optional_vars, ast.Name) and isinstance(i.context_expr, ast.Call)
                 and (dotted(i.context_expr.func) or "").rsplit(".", 1)[-1] == "ZipFile"}
    for loop in nodes:
        if not (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and isinstance(loop.iter, ast.Call)
                and method_name(loop.iter) in ("infolist", "namelist") and isinstance(loop.iter.func, ast.Attribute)
                and dotted(loop.iter.func.value) in archives):
            continue
        archive = dotted(loop.iter.func.value)
        for read in (n for st in loop.body for n in walk_nodes(st)):
            if not (isinstance(read, ast.Call) and method_name(read) == "read" and isinstance(read.func, ast.Attribute)
                    and dotted(read.func.value) == archive and len(read.args) == 1
                    and any(isinstance(n, ast.Name) and n.id == loop.target.id for n in walk_nodes(read.args[0]))):
                continue
            consumer = module.parents.get(read)
            if isinstance(consumer, ast.Call) and read in consumer.args and not _needs_whole(module, consumer) \
                    and not WHOLE_DECODERS.search(qualified(module, consumer.func) or dotted(consumer.func) or ""):
                yield _medium_finding(
                    module, read, "each member of a zip archive is decompressed whole into memory",
                    "read it in chunks from unzip.open(entry) (shutil.copyfileobj into the destination)")


# Responses a handler builds and then writes its body into (``resp = web.StreamResponse()`` ...
# ``await resp.write(data)``, Django's ``response.write(data)``).
WRITABLE_RESPONSES = RESPONSE_SINKS | {"StreamResponse"}


def _written_to_responses(module: SourceModule, nodes: list[ast.AST]) -> Iterator[tuple[ast.Call, ast.expr]]:
    """``resp.write(data)`` of a response the function made (``resp = Response(status=200)``), with the body
    written."""
    responses = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                 and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call)
                 and (call_name(module, n.value) or dotted(n.value.func) or "").rsplit(".", 1)[-1] in WRITABLE_RESPONSES}
    if not responses:
        return
    for node in nodes:
        if isinstance(node, ast.Call) and method_name(node) == "write" and node.args \
                and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in responses:
            yield node, node.args[0]


FILE_READERS = "R5.buffer-not-stream:file-readers"
SOME_FILE_READERS = "R5.buffer-not-stream:some-file-readers"


def _file_reading_functions(project: Project) -> frozenset[str]:
    """Functions of the project every return of which is a file it opened read whole (``return f.read()``,
    ``content = f.read()`` ... ``return content``, also in a ``BytesIO``) or the body of a file it downloaded
    (``return io.BytesIO(response.content)``: a storage back-end's file), every definition of that name but
    the stubs that only raise (a base class's ``get_file``)."""
    if FILE_READERS in project.facts:
        return project.facts[FILE_READERS]
    verdicts: dict[str, bool] = {}
    some_whole: set[str] = set()
    for module in project.modules:
        if runs_offline(module, project):
            continue
        downloads = _makes_requests(module, project)
        may_read = ".read()" in module.text or downloads
        for fn in walk_nodes(module.tree):
            if isinstance(fn, FUNCTION_TYPES) and not may_read:
                verdicts[fn.name] = False  # a definition of the name that reads nothing: ``Response.get_data()``
            elif isinstance(fn, FUNCTION_TYPES) and not _stub(fn):
                whole = bool(_whole_returns(module, project, list(walk_function_body(fn)), downloads))
                verdicts[fn.name] = verdicts.get(fn.name, True) and whole
                if whole:
                    some_whole.add(fn.name)
    project.facts[FILE_READERS] = frozenset(name for name, whole in verdicts.items() if whole)
    project.facts[SOME_FILE_READERS] = frozenset(some_whole)
    return project.facts[FILE_READERS]


def _whole_returns(module: SourceModule, project: Project, nodes: list[ast.AST], downloads: bool) -> list[ast.expr]:
    """The whole reads a function returns, when every return of it is a file it opened read whole (``return
    f.read()``, ``content = f.read()`` ... ``return content``, also in a ``BytesIO``) or the body of a file it
    downloaded; none otherwise."""
    opened = _opened_files(nodes, module)
    responses = _response_names(module, project, nodes) if downloads else set()

    def whole_payload(value: ast.expr) -> bool:
        value = _unwrap_bytes(module, value)
        return _whole_file_read(value, opened) \
            or bool(responses) and _whole_body(module, project, value, responses) is not None

    contents = {n.targets[0].id: n.value for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name) and whole_payload(n.value)}
    returns = [n.value for n in nodes if isinstance(n, ast.Return)]
    if not returns or not all(r is not None and (whole_payload(r) or isinstance(r, ast.Name) and r.id in contents)
                              for r in returns):
        return []
    return [r if whole_payload(r) else contents[r.id] for r in returns]


TEMPLATE_SENDERS = "R5.buffer-not-stream:template-senders"


def _template_senders(project: Project) -> frozenset[tuple[int, str]]:
    """(id of a class, name of a method) where a method of the class sends back as a response body what
    ``self.<name>()`` returns (``response.write(self.get_contents())`` in a download view's ``get``): the
    subclasses say what is sent."""
    if TEMPLATE_SENDERS not in project.facts:
        found: set[tuple[int, str]] = set()
        for module in project.modules:
            if "Response" not in module.text or runs_offline(module, project):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                for method in (n for n in cls.body if isinstance(n, FUNCTION_TYPES)):
                    nodes = list(walk_function_body(method))
                    for _, body in [*_response_bodies(module, nodes, RESPONSE_SINKS),
                                    *_written_to_responses(module, nodes)]:
                        if isinstance(body, ast.Call) and not body.args and isinstance(body.func, ast.Attribute) \
                                and isinstance(body.func.value, ast.Name) and body.func.value.id == "self":
                            found.add((id(cls), body.func.attr))
        project.facts[TEMPLATE_SENDERS] = frozenset(found)
    return project.facts[TEMPLATE_SENDERS]


def _files_sent_by_base(module: SourceModule, project: Project, fn: ast.AST,
                        nodes: list[ast.AST]) -> Iterator[Finding]:
    """A method that returns a file it read whole (``return open(path, "rb").read()``) where a base class
    sends back what that method returns (``response.write(self.get_contents())`` in a download view's
    ``get``): the stored file sits in the worker's memory while it is sent, where ``FileResponse`` streams it."""
    owner = module.parents.get(fn)
    senders = _template_senders(project) if isinstance(owner, ast.ClassDef) else frozenset()
    if not any(name == fn.name for _, name in senders):
        return
    if not any((id(base), fn.name) in senders for _, base in db._mro(project, (module, owner))[1:]):
        return
    for read in _whole_returns(module, project, nodes, _makes_requests(module, project)):
        yield _medium_finding(
            module, read, f"a stored file is read whole into memory to be sent back (by the base class's "
            f"response of self.{fn.name}())",
            "stream it from the disk: return the open file and send it with FileResponse(open(path, 'rb'))")


def _some_file_reading_functions(project: Project) -> frozenset[str]:
    """Functions of the project one definition of which returns a file it opened read whole (a local storage
    back-end's ``get_file_object``, ``BytesIO(f.read())``, beside an S3 one that downloads it whole)."""
    _file_reading_functions(project)
    return project.facts[SOME_FILE_READERS]


def _stub(fn: ast.AST) -> bool:
    """A body that only raises (``raise NotImplementedError``) or passes, after its docstring."""
    body = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) \
        else fn.body
    return all(isinstance(st, (ast.Raise, ast.Pass)) or isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)
               for st in body)


# -- exports built in memory --------------------------------------------------------------


CSV_WRITERS = {"csv.writer", "csv.DictWriter"}
MEMORY_BUFFERS = {"StringIO", "BytesIO"}
CSV_BUILDERS = "R5.buffer-not-stream:csv-builders"


def _memory_exports(module: SourceModule, project: Project, fn: ast.AST, nodes: list[ast.AST]) -> Iterator[Finding]:
    """A request handler that hands the rows it gathered in a loop (``csv_content.append(row)`` for each
    result) to a function of the project that writes them with a ``csv`` writer into a ``StringIO`` and
    sends the text back (``build_csv_response(csv_content)``): the whole export sits in memory twice, as
    rows and as text, before the first byte leaves. Rows gathered from a sliced query (``[:10000]``) are capped,
    and the children of one object (``playlist["shots"]``) are few."""
    builders = _csv_builders(project)
    if not builders or handler_of(module, fn.body[0], project) is None:
        return
    gathered = {name: loop for name, loop in _rows_gathered(nodes).items()
                if not _capped(loop.iter, nodes) and not _one_objects_part(loop.iter)}
    for node in nodes:
        if not isinstance(node, ast.Call) or _callee(node) not in builders:
            continue
        slots = builders[_callee(node)]
        for position, arg in enumerate(node.args):
            if position in slots and isinstance(arg, ast.Name) and arg.id in gathered:
                walked = dotted(gathered[arg.id].iter) or "a loop"
                yield _medium_finding(
                    module, node, f"the export's rows ({arg.id}, one per item of {walked}) are written whole "
                                  f"into an in-memory CSV by {_callee(node)}() before it is sent",
                    "yield the rows from a generator (query.yield_per(500) / .iterator()) and send them with a "
                    "streaming response (Flask stream_with_context, Django StreamingHttpResponse)")


def _csv_written_in_place(module: SourceModule, project: Project, fn: ast.AST,
                          nodes: list[ast.AST]) -> Iterator[Finding]:
    """A request handler that walks every row of a query (``AuditLog.query.all()``, ``Entry.objects.all()``,
    no slice) writing each with a ``csv`` writer into a ``StringIO`` it then sends back
    (``make_response(buffer.getvalue())``): the whole export is text in memory before its first byte leaves."""
    if "csv" not in module.text or handler_of(module, fn.body[0], project) is None:
        return
    bound = {node.targets[0].id: node.value for node in nodes if isinstance(node, ast.Assign)
             and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)}
    buffers = {name for name, value in bound.items() if isinstance(value, ast.Call)
               and (call_name(module, value) or "").rsplit(".", 1)[-1] in MEMORY_BUFFERS}
    writers = {name for name, value in bound.items() if isinstance(value, ast.Call)
               and call_name(module, value) in CSV_WRITERS and value.args
               and isinstance(value.args[0], ast.Name) and value.args[0].id in buffers}
    if not writers or not any(isinstance(node, ast.Call) and (call_name(module, node) or "").rsplit(".", 1)[-1]
                              in ARCHIVE_SINKS | {"Response"} and any(
                                  isinstance(n, ast.Name) and n.id in buffers for a in node.args for n in walk_nodes(a))
                              for node in nodes):
        return
    def writes(node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and method_name(node) in ("writerow", "writerows") \
            and isinstance(node.func, ast.Attribute) and dotted(node.func.value) in writers

    for node in nodes:
        if isinstance(node, (ast.For, ast.AsyncFor)) and any(writes(n) for n in walk_nodes(node)):
            rows, reported = _unlimited_rows(node.iter, bound, nodes), node
        elif writes(node) and method_name(node) == "writerows" and node.args:  # writer.writerows(Entry.objects.all())
            rows, reported = _unlimited_rows(node.args[0], bound, nodes), node
        else:
            continue
        if rows is not None:
            yield _medium_finding(
                module, reported, f"every row of {dotted(rows.func.value) or 'the query'} is written into an "
                                  "in-memory CSV before it is sent",
                "yield the rows from a generator (query.yield_per(500) / .iterator()) and send them with a "
                "streaming response (Flask stream_with_context, Django StreamingHttpResponse)")


def _unlimited_rows(iterable: ast.expr, bound: dict[str, ast.expr], nodes: list[ast.AST]) -> ast.Call | None:
    """The ``.all()`` of a query with no slice or limit that ``iterable`` walks, directly, through the name it is
    bound to, or through the columns it picks (``Entry.objects.all().values_list("id", "title")``)."""
    rows = bound.get(iterable.id) if isinstance(iterable, ast.Name) else iterable
    while isinstance(rows, ast.Call) and isinstance(rows.func, ast.Attribute) and rows.func.attr in ROW_COLUMNS:
        rows = rows.func.value
    if not (isinstance(rows, ast.Call) and isinstance(rows.func, ast.Attribute) and rows.func.attr == "all"
            and not rows.args) or _capped(iterable, nodes) \
            or any(isinstance(n, ast.Call) and method_name(n) in ("limit", "paginate", "slice")
                   for n in walk_nodes(rows)):
        return None
    return rows


ROW_COLUMNS = {"values_list", "values", "only", "order_by"}


def _rows_gathered(nodes: list[ast.AST]) -> dict[str, ast.For | ast.AsyncFor]:
    """Lists the function grows in a loop over a collection that is not a literal: name -> that loop."""
    gathered: dict[str, ast.For | ast.AsyncFor] = {}
    for loop in nodes:
        if isinstance(loop, (ast.For, ast.AsyncFor)) and not isinstance(loop.iter, (ast.List, ast.Tuple, ast.Constant)):
            for node in walk_nodes(loop):
                if isinstance(node, ast.Call) and method_name(node) in ("append", "extend") \
                        and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                    gathered.setdefault(node.func.value.id, loop)
    return gathered


def _one_objects_part(iterable: ast.expr) -> bool:
    """``playlist["shots"]``, ``order.lines``: the children one object holds, a handful."""
    return isinstance(iterable, (ast.Subscript, ast.Attribute)) and isinstance(iterable.value, ast.Name) \
        and iterable.value.id != "self"


def _capped(iterable: ast.expr, nodes: list[ast.AST]) -> bool:
    """The loop walks a slice with a fixed end (``rows[:10000]``), also through the name bound to it."""
    values = [iterable]
    if isinstance(iterable, ast.Name):
        values += [n.value for n in nodes if isinstance(n, ast.Assign)
                   and any(isinstance(t, ast.Name) and t.id == iterable.id for t in n.targets)]
    return any(isinstance(v, ast.Subscript) and isinstance(v.slice, ast.Slice) and isinstance(v.slice.upper, ast.Constant)
               for v in values)


def _csv_builders(project: Project) -> dict[str, set[int]]:
    """Functions of the project that write the rows of a parameter with a ``csv`` writer into an in-memory
    buffer and return it (``writerows(rows)`` into ``StringIO()``, ``return buffer.getvalue()``), and the
    functions that hand their own parameter on to one (``build_csv_response(content)`` calling
    ``build_csv_string(content)``): function name -> positions (after ``self``) of the rows parameter."""
    if CSV_BUILDERS in project.facts:
        return project.facts[CSV_BUILDERS]
    functions: list[tuple[SourceModule, ast.AST]] = [
        (module, fn) for module in project.modules if "csv" in module.text and not runs_offline(module, project)
        for fn in walk_nodes(module.tree) if isinstance(fn, FUNCTION_TYPES)]
    builders: dict[str, set[int]] = {}
    for module, fn in functions:
        slots = _csv_rows_parameters(module, fn)
        if slots:
            builders[fn.name] = slots
    callers = [(module, fn) for module in project.modules if not runs_offline(module, project)
               for fn in walk_nodes(module.tree) if isinstance(fn, FUNCTION_TYPES)] if builders else []
    for _ in range(2):  # build_csv_response -> build_csv_string: a wrapper or two at most
        for module, fn in callers:
            own = own_parameters(fn)
            for call in walk_function_body(fn):
                if isinstance(call, ast.Call) and _callee(call) in builders and fn.name not in builders:
                    handed = {own.index(a.id) for i, a in enumerate(call.args)
                              if i in builders[_callee(call)] and isinstance(a, ast.Name) and a.id in own}
                    if handed:
                        builders[fn.name] = handed
    project.facts[CSV_BUILDERS] = builders
    return builders


def _csv_rows_parameters(module: SourceModule, fn: ast.AST) -> set[int]:
    """Positions of the parameters whose rows ``fn`` writes with a ``csv`` writer over an in-memory buffer
    that it returns (the buffer, or its ``getvalue()``)."""
    nodes = list(walk_function_body(fn))
    buffers = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call)
               and (call_name(module, n.value) or "").rsplit(".", 1)[-1] in MEMORY_BUFFERS}
    writers = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call)
               and call_name(module, n.value) in CSV_WRITERS and n.value.args
               and isinstance(n.value.args[0], ast.Name) and n.value.args[0].id in buffers}
    returned = any(isinstance(n, ast.Return) and n.value is not None
                   and any(isinstance(b, ast.Name) and b.id in buffers for b in walk_nodes(n.value)) for n in nodes)
    if not writers or not returned:
        return set()
    own = own_parameters(fn)
    written: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Call) and method_name(node) == "writerows" and isinstance(node.func, ast.Attribute) \
                and dotted(node.func.value) in writers and node.args:
            written.add(dotted(node.args[0]) or "")
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and any(
                isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "writerow"
                and dotted(c.func.value) in writers
                for c in walk_nodes(node if isinstance(node, (ast.For, ast.AsyncFor)) else module.parents.get(node, node))):
            written.add(dotted(node.iter) or "")
    return {i for i, name in enumerate(own) if name in written}


DOCUMENT_BUILDERS = "R5.buffer-not-stream:document-builders"
# Django QuerySet methods that keep every row the filter matches.
QUERYSET_CHAIN = {"all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "only", "defer",
                  "distinct", "annotate"}


def _documents_built_whole(module: SourceModule, project: Project, fn: ast.AST,
                           nodes: list[ast.AST]) -> Iterator[Finding]:
    """``content = exporter.export_html(list(Bookmark.objects.filter(owner=user)))`` then ``HttpResponse(content)``
    or ``response.write(content)``: a request handler hands every row of a query to a function of the project
    that builds a text from each of them and joins it (``return "\\n".join(doc)``), and sends that text back. The
    whole export sits in memory as rows, as pieces and as text before the first byte leaves."""
    builders = _document_builders(project)
    if not builders or "objects" not in module.text or handler_of(module, fn.body[0], project) is None:
        return
    bindings: dict[str, list[ast.expr]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            bindings.setdefault(node.targets[0].id, []).append(node.value)

    def whole_document(value: ast.expr) -> ast.Call | None:
        if isinstance(value, ast.Name):
            return next((built for v in bindings.get(value.id, []) if isinstance(v, ast.Call)
                         and (built := whole_document(v)) is not None), None)
        if isinstance(value, ast.Call) and _callee(value) in builders and any(
                i in builders[_callee(value)] and _every_row(a, bindings, depth=2) for i, a in enumerate(value.args)):
            return value
        return None

    for node in nodes:
        if isinstance(node, ast.Call) and _is_sink(module, node):
            built = next((whole_document(a) for a in node.args if whole_document(a) is not None), None)
            if built is not None:
                yield _medium_finding(
                    module, built, f"every row of the query is built into one in-memory document by {_callee(built)}() "
                                   "before it is sent",
                    "yield the document's pieces from a generator over query.iterator() and send them with a "
                    "StreamingHttpResponse")


def _every_row(value: ast.expr, bindings: dict[str, list[ast.expr]], depth: int) -> bool:
    """``Bookmark.objects.filter(owner=user)``, ``list(...)`` of it, also through the names it is bound to: a Django
    query with no slice, every row it matches."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "list" and value.args:
        return _every_row(value.args[0], bindings, depth)
    if isinstance(value, ast.Name):
        return depth > 0 and any(_every_row(v, bindings, depth - 1) for v in bindings.get(value.id, []))
    node = value
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERYSET_CHAIN:
        node = node.func.value
    return node is not value and isinstance(node, ast.Attribute) and node.attr == "objects"


def _document_builders(project: Project) -> dict[str, set[int]]:
    """Functions of the project that walk a parameter and return the pieces they gathered joined into one text
    (``doc = []`` ... ``for bookmark in bookmarks: append_bookmark(doc, bookmark)`` ... ``return "".join(doc)``):
    function name -> positions (after ``self``) of the parameters walked, on every definition of that name."""
    if DOCUMENT_BUILDERS in project.facts:
        return project.facts[DOCUMENT_BUILDERS]
    builders: dict[str, set[int]] = {}
    for module in project.modules:
        if runs_offline(module, project) or ".join(" not in module.text:
            continue
        for fn in walk_nodes(module.tree):
            if isinstance(fn, FUNCTION_TYPES):
                slots = _joined_parameters(fn)
                builders[fn.name] = builders[fn.name] & slots if fn.name in builders else slots
    project.facts[DOCUMENT_BUILDERS] = {name: slots for name, slots in builders.items() if slots}
    return project.facts[DOCUMENT_BUILDERS]


def _joined_parameters(fn: ast.AST) -> set[int]:
    nodes = list(walk_function_body(fn))
    pieces = {n.targets[0].id for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
              and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.List) and not n.value.elts}
    returns = [n.value for n in nodes if isinstance(n, ast.Return)]
    joined = bool(returns) and all(isinstance(r, ast.Call) and method_name(r) == "join" and len(r.args) == 1
                                   and isinstance(r.args[0], ast.Name) and r.args[0].id in pieces for r in returns)
    if not joined:
        return set()
    walked = {n.iter.id for n in walk_nodes(fn) if isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension))
              and isinstance(n.iter, ast.Name)}
    return {i for i, name in enumerate(own_parameters(fn)) if name in walked}


# -- pages cut from every row -------------------------------------------------------------


# Relay helpers that cut one page out of a complete list (graphql-relay's, and the projects' own of that name).
IN_MEMORY_PAGERS = {"connection_from_list", "connection_from_array"}
# Calls that run a query and hand back all of its rows (SQLAlchemy sessions and results, DB-API cursors).
ROW_FETCHES = {"all", "fetchall", "scalars", "stream_scalars", "stream", "execute"}
ROW_PASSING_BUILTINS = {"list", "sorted", "reversed", "enumerate", "zip", "cast"}


def _pages_cut_in_memory(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``connection_from_list(data=[Node(r) for r in await session.stream_scalars(query)], args=args)``: a
    resolver reads every row of the query to hand back the one page the client asked for (``first: 50``); the
    page could be cut by the database (LIMIT/OFFSET, keyset). A resolver that limits its query is fine."""
    if any(isinstance(n, ast.Call) and method_name(n) == "limit" for n in nodes):
        return
    bindings: dict[str, list[ast.expr]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            bindings.setdefault(node.targets[0].id, []).append(node.value)
    for node in nodes:
        if not (isinstance(node, ast.Call) and _callee(node) in IN_MEMORY_PAGERS):
            continue
        data = node.args[0] if node.args else keyword(node, "data") or keyword(node, "array")
        if data is not None and _all_query_rows(data, bindings, depth=3):
            yield _medium_finding(
                module, node, f"{_callee(node)}() cuts one page out of every row the query returned",
                "page in the query (.limit(first + 1).offset(...) or a keyset filter on the cursor) and build the "
                "connection from that page")


def _all_query_rows(value: ast.expr, bindings: dict[str, list[ast.expr]], depth: int) -> bool:
    """``value`` holds every row a query returned: ``.all()``, ``await session.scalars(q)``, a list or a
    comprehension over one, also through the names they are bound to."""
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Name):
        return depth > 0 and any(_all_query_rows(v, bindings, depth - 1) for v in bindings.get(value.id, []))
    if isinstance(value, (ast.ListComp, ast.GeneratorExp)):
        return any(_all_query_rows(g.iter, bindings, depth) for g in value.generators)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ROW_PASSING_BUILTINS:
        return any(_all_query_rows(a, bindings, depth) for a in value.args)
    return isinstance(value, ast.Call) and method_name(value) in ROW_FETCHES and isinstance(value.func, ast.Attribute)


def _serialized_before_paging(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``serializer = ShelfSerializer(shelves, many=True); page = self.paginate_queryset(serializer.data)``: DRF
    serializes every row the filter picked, then cuts one page out of the list; paginating the queryset first
    (``ShelfSerializer(self.paginate_queryset(shelves), many=True)``) serializes the page alone."""
    serializers: dict[str, ast.Call] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and _serializes_many(node.value):
            serializers[node.targets[0].id] = node.value
    for node in nodes:
        if not (isinstance(node, ast.Call) and method_name(node) == "paginate_queryset" and node.args):
            continue
        data = node.args[0]
        if not (isinstance(data, ast.Attribute) and data.attr == "data"):
            continue
        serializer = serializers.get(data.value.id) if isinstance(data.value, ast.Name) \
            else data.value if _serializes_many(data.value) else None
        if serializer is not None:
            yield _medium_finding(
                module, serializer, "every row is serialized before paginate_queryset() cuts one page out of the list",
                "paginate the queryset first and serialize only the page: "
                "Serializer(self.paginate_queryset(queryset), many=True)")


def _serializes_many(value: ast.expr) -> bool:
    many = keyword(value, "many") if isinstance(value, ast.Call) else None
    return isinstance(many, ast.Constant) and many.value is True and bool(value.args)


def _spools_kept_in_memory(module: SourceModule, nodes: list[ast.AST]) -> Iterator[Finding]:
    """``with SpooledTemporaryFile() as spool: for chunk in response.iter_content(65536): spool.write(chunk)``:
    without ``max_size`` (or with 0) the spool never rolls over to disk, so a stream copied into it in chunks
    (a loop of writes, ``shutil.copyfileobj``) ends up whole in memory."""
    for target, call in _bindings(nodes):
        if qualified(module, call.func) != "tempfile.SpooledTemporaryFile" or not _never_rolls_over(call):
            continue
        if any(_copied_in_chunks(node, target) for node in nodes):
            yield _medium_finding(
                module, call, "SpooledTemporaryFile() without max_size never rolls over to disk: the stream copied "
                              "into it is held whole in memory",
                "give it a max_size (SpooledTemporaryFile(max_size=8 * 1024 * 1024)) or use a TemporaryFile")


def _bindings(nodes: list[ast.AST]) -> Iterator[tuple[str, ast.Call]]:
    """Each name bound to a call, by ``name = call(...)`` or ``with call(...) as name``."""
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Call):
            yield node.targets[0].id, node.value
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            yield from ((i.optional_vars.id, i.context_expr) for i in node.items
                        if isinstance(i.optional_vars, ast.Name) and isinstance(i.context_expr, ast.Call))


def _never_rolls_over(call: ast.Call) -> bool:
    size = keyword(call, "max_size") or (call.args[0] if call.args else None)
    return size is None or isinstance(size, ast.Constant) and size.value == 0


def _copied_in_chunks(node: ast.AST, name: str) -> bool:
    """``name.write(...)`` in a loop, or ``shutil.copyfileobj(source, name)``."""
    if isinstance(node, ast.Call) and _callee(node) == "copyfileobj":
        return len(node.args) > 1 and isinstance(node.args[1], ast.Name) and node.args[1].id == name
    return isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and any(
        isinstance(n, ast.Call) and dotted(n.func) == f"{name}.write" for n in walk_nodes(node))


# -- helpers ------------------------------------------------------------------------------


# `require_admin_key`: an account's admin API key, held by any user for their own data, is no site admin.
ADMIN_GUARD = re.compile(r"(^|_)(admins?|staff|super_?users?)(_(?!key)|$)", re.I)
CAMEL_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _admin_only(fn: ast.AST) -> bool:
    """A handler only administrators reach (``@admins_only``, ``@staff_member_required``,
    ``Depends(check_admin)``, ``user_passes_test(lambda u: u.is_superuser)``): the size of
    what they send is the operator's choice, not a stranger's. The route decorator's own
    receiver (``@admin.route``, a blueprint's name) says nothing about who may call it."""
    guards: list[ast.AST] = []
    for decorator in getattr(fn, "decorator_list", []):
        if isinstance(decorator, ast.Call):
            guards.append(ast.Name(id=(decorator.func.attr if isinstance(decorator.func, ast.Attribute)
                                       else getattr(decorator.func, "id", ""))))
            guards.extend([*decorator.args, *(k.value for k in decorator.keywords)])
        else:
            guards.append(decorator)
    guards.extend(d for d in [*fn.args.defaults, *fn.args.kw_defaults] if d is not None)
    return any(ADMIN_GUARD.search(CAMEL_WORD.sub("_", n.id if isinstance(n, ast.Name) else n.attr))
               for guard in guards for n in walk_nodes(guard) if isinstance(n, (ast.Name, ast.Attribute)))


def _medium_finding(module: SourceModule, node: ast.AST, message: str, fix: str) -> Finding:
    return Finding(message=message, path=module.path, line=node.lineno, end_line=node.end_lineno,
                   evidence=module.evidence(node), confidence=Confidence.medium, fix=fix)


def _arguments(fn: ast.AST) -> list[ast.arg]:
    arguments = fn.args
    return [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]


def _annotated_as(module: SourceModule, annotation: ast.expr | None, classes: set[str]) -> bool:
    if annotation is None:
        return False
    names = {qualified(module, n) for n in walk_nodes(annotation) if isinstance(n, (ast.Name, ast.Attribute))}
    return bool(names & classes)
