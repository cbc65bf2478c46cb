"""The shared knowledge modules audit_lib.libs.http and audit_lib.libs.web, and the
project-level R3 rules' silences that a single annotated fixture cannot show (a whole
code base that is instrumented is silent everywhere)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from audit_lib.engine import Audit
from audit_lib.libs.http import client_bindings, outbound_calls
from audit_lib.libs.web import answers_browser, handler_of, project_routes, shutdown_hooks
from audit_lib.settings import Settings
from audit_lib.source import Project, load_project


def make_project(tmp_path: Path, files: dict[str, str]) -> Project:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_project(tmp_path)


def module(project: Project, path: str):
    return next(m for m in project.modules if m.path == path)


def findings(tmp_path: Path, rule_id: str) -> list[tuple[str, int]]:
    result = Audit(Settings(code_root=str(tmp_path), database="none", rules=[rule_id])).run()
    assert not result.errors, result.errors
    return sorted((f.path, f.line) for f in result.findings)


def test_outbound_calls_follow_clients_across_files(tmp_path):
    project = make_project(tmp_path, {
        "svc/__init__.py": "",
        "svc/http.py": """
            import httpx
            import requests

            def make_client():
                return httpx.AsyncClient(headers={"X-Request-ID": "1"})

            def make_session():
                s = requests.Session()
                s.headers.update({"User-Agent": "svc"})
                return s
        """,
        "svc/calls.py": """
            from svc.http import make_client, make_session

            class Stock:
                def __init__(self):
                    self.http = make_client()

                async def level(self, sku):
                    return await self.http.get(f"/levels/{sku}")

            def reserve(sku, cache):
                session = make_session()
                cache.get(sku)
                return session.post("/reserve", json={"sku": sku})
        """,
    })
    calls = outbound_calls(module(project, "svc/calls.py"), project)
    assert [(c.line, c.library, c.operation, c.client.origin) for c in calls] == [
        (9, "httpx", "get", "factory-function"),
        (14, "requests", "post", "factory-function"),
    ]
    assert calls[0].client.sets("headers")
    assert calls[1].client.sets("headers")  # session.headers.update(...) inside the factory
    assert not calls[1].client.sets("timeout")


def test_grpc_stub_calls_and_bindings(tmp_path):
    project = make_project(tmp_path, {
        "client.py": """
            import grpc
            import orders_pb2_grpc

            channel = grpc.insecure_channel("orders:50051")
            stub = orders_pb2_grpc.OrdersStub(channel)

            def place(request):
                stub.close_helper()
                return stub.PlaceOrder(request, timeout=3)
        """,
    })
    source = module(project, "client.py")
    assert {(b.name, b.kind) for b in client_bindings(source, project)} == {("channel", "channel"), ("stub", "stub")}
    assert [(c.protocol, c.operation) for c in outbound_calls(source, project)] == [("grpc", "PlaceOrder")]


def test_routes_of_each_framework(tmp_path):
    project = make_project(tmp_path, {
        "api.py": """
            from fastapi import FastAPI
            app = FastAPI()

            @app.post("/orders")
            async def create(): ...

            @app.on_event("shutdown")
            async def close(): ...
        """,
        "web.py": """
            from flask import Flask
            from flask.views import MethodView
            app = Flask(__name__)

            @app.route("/items", methods=["GET", "POST"])
            def items(): ...

            class ItemView(MethodView):
                def delete(self, item_id): ...
        """,
        "routes.py": """
            from handlers import index
            def setup(app):
                app.router.add_get("/", index)
        """,
        "handlers.py": """
            async def index(request):
                return request
        """,
    })
    routes = {(m.path, h.name, h.methods, h.framework) for m, h in project_routes(project)}
    assert routes == {
        ("api.py", "create", ("POST",), "fastapi"),
        ("web.py", "items", ("GET", "POST"), "flask"),
        ("web.py", "delete", ("DELETE",), "flask"),
        ("handlers.py", "index", ("GET",), "unknown"),
    }
    registered = next(h for m, h in project_routes(project) if h.name == "index")
    assert registered.declared_in.path == "routes.py" and registered.line == 4
    api = module(project, "api.py")
    assert [(h.kind, h.line) for h in shutdown_hooks(api)] == [("on_shutdown", 8)]
    inner = api.tree.body[-2].body[0]
    assert handler_of(api, inner, project).name == "create"


def test_routes_of_quart_injected_blueprints_and_twisted_resources(tmp_path):
    project = make_project(tmp_path, {
        "quart_app.py": """
            from quart import Blueprint, Quart
            app = Quart(__name__)
            bp = Blueprint("loans", __name__)

            @bp.route("/loans", methods=["POST"])
            async def lend(): ...

            @app.post("/returns")
            async def give_back(): ...
        """,
        "pages/loans_app.py": """
            @manager.route("/loans/<loan_id>", methods=["DELETE"])  # noqa: F821
            async def cancel(loan_id): ...

            @manager.route("/loans")  # noqa: F821
            async def loans(): ...
        """,
        "pages/menu_app.py": """
            from menus import Menu
            menu = Menu()

            @menu.route("/loans", methods=["POST"])
            def pick(): ...
        """,
        "servlets.py": """
            from twisted.web.resource import Resource

            class LoanServlet(Resource):
                isLeaf = True

                def render_POST(self, request): ...

                def get(self, request): ...

            class Report:
                def render_GET(self, request): ...
        """,
    })
    routes = {(m.path, h.name, h.methods, h.framework) for m, h in project_routes(project)}
    assert routes == {
        ("quart_app.py", "lend", ("POST",), "quart"),
        ("quart_app.py", "give_back", ("POST",), "quart"),
        ("pages/loans_app.py", "cancel", ("DELETE",), "flask"),
        ("pages/loans_app.py", "loans", ("GET",), "flask"),
        ("servlets.py", "render_POST", ("POST",), "twisted"),
    }


def test_instrumented_service_is_silent_for_metrics_and_correlation(tmp_path):
    make_project(tmp_path, {
        "app.py": """
            import requests
            from fastapi import FastAPI
            from opentelemetry.instrumentation.requests import RequestsInstrumentor
            from prometheus_fastapi_instrumentator import Instrumentator

            app = FastAPI()
            Instrumentator().instrument(app).expose(app)
            RequestsInstrumentor().instrument()

            @app.get("/stock")
            def stock():
                return requests.get("https://stock.internal/items", timeout=5).json()
        """,
    })
    assert findings(tmp_path, "R3.no-metrics") == []
    assert findings(tmp_path, "R3.no-correlation-id") == []


def test_local_metrics_facade_counts_as_metrics(tmp_path):
    make_project(tmp_path, {
        "app.py": """
            from flask import Flask
            app = Flask(__name__)

            @app.route("/")
            def index():
                return "ok"
        """,
        "metrics.py": """
            class Metrics:
                def counter(self, name, value=1): ...
                def timer(self, name, value): ...
        """,
    })
    assert findings(tmp_path, "R3.no-metrics") == []
    (tmp_path / "metrics.py").unlink()
    assert findings(tmp_path, "R3.no-metrics") == [("app.py", 5)]


def test_client_kept_in_an_attribute_is_followed_through_other_objects(tmp_path):
    project = make_project(tmp_path, {
        "bot.py": """
            import aiohttp

            class Bot:
                async def setup_hook(self):
                    self.session = aiohttp.ClientSession()
        """,
        "context.py": """
            from aiohttp import ClientSession

            class Context:
                def __init__(self, bot):
                    self.bot = bot

                @property
                def session(self) -> ClientSession:
                    return self.bot.session
        """,
        "cogs.py": """
            class Weather:
                def __init__(self, bot):
                    self.bot = bot

                async def today(self, ctx, city):
                    await self.bot.session.get(f"https://weather.example.com/{city}")
                    await ctx.session.post("https://weather.example.com/subscribe", json={"city": city})
                    ctx.session.get("city")  # a key, not a URL
                    ctx.session.get(city, 2)  # no client's get takes two positional arguments
        """,
    })
    calls = outbound_calls(module(project, "cogs.py"), project)
    assert [(c.line, c.library, c.operation) for c in calls] == [(7, "aiohttp", "get"), (8, "aiohttp", "post")]
    assert calls[0].client.module.path == "bot.py" and calls[0].client.factory is not None  # its settings are known
    assert findings(tmp_path, "R3.http-no-timeout") == [("cogs.py", 7), ("cogs.py", 8)]


def test_attribute_followed_only_when_the_project_gives_it_one_kind_of_client(tmp_path):
    files = {
        "clients.py": """
            import requests
            from flask_sqlalchemy import SQLAlchemy

            class Alchemy(SQLAlchemy):
                pass

            db = SQLAlchemy()
            store = Alchemy()

            class Rates:
                def __init__(self):
                    self.session = requests.Session()
        """,
        "views.py": """
            from clients import db, store

            CART = "cart"

            def cart(request, user_id, rates, users):
                request.session.get(CART)  # the web framework's session
                db.session.delete(db.session.get(User, user_id))  # the ORM's session
                store.session.delete(user_id)
                users.session.delete(users.current)  # an ORM instance, not a URL
                rates.session.delete(f"https://rates.example.com/alerts/{user_id}")
                return rates.session.get("https://rates.example.com/today")
        """,
    }
    project = make_project(tmp_path, files)
    assert [c.line for c in outbound_calls(module(project, "views.py"), project)] == [11, 12]
    files["orders.py"] = """
        class Orders:
            def __init__(self, session):
                self.session = session  # a database session, say: the name is ambiguous
    """
    project = make_project(tmp_path, files)
    assert outbound_calls(module(project, "views.py"), project) == []


def test_attribute_built_in_several_places_has_unknown_settings(tmp_path):
    project = make_project(tmp_path, {
        "wallets.py": """
            import httpx

            class Alpha:
                def __init__(self):
                    self.client = httpx.AsyncClient(timeout=None)

            class Beta:
                def __init__(self):
                    self.client = httpx.AsyncClient(base_url="https://beta.example.com")
        """,
        "status.py": """
            import elasticsearch

            async def balances(wallets):
                return [await w.client.get("/balance") for w in wallets]

            class Status:
                def __init__(self):
                    self.search = elasticsearch.Elasticsearch()

                def forget(self, key):
                    self.search.client.delete(key)  # the library's own client
        """,
    })
    [call] = outbound_calls(module(project, "status.py"), project)
    assert call.library == "httpx" and call.client.opaque


def test_inherited_client_attribute_is_followed_unless_a_library_base_may_own_it(tmp_path):
    project = make_project(tmp_path, {
        "consul.py": """
            import urllib3

            class ConsulClient:
                def __init__(self):
                    self.http = urllib3.PoolManager(timeout=urllib3.Timeout(total=5))
        """,
        "members.py": """
            import etcd
            from consul import ConsulClient

            class Checked(ConsulClient):
                def leader(self):
                    return self.http.request("GET", "https://consul:8500/v1/status/leader")

            class EtcdStore(etcd.Client):
                def machines(self):
                    return self.http.request("GET", "https://etcd:2379/v2/machines")  # etcd.Client's pool
        """,
    })
    [call] = outbound_calls(module(project, "members.py"), project)
    assert call.line == 7 and call.client.sets("timeout")


def test_client_parameter_takes_the_client_every_caller_passes(tmp_path):
    files = {
        "bot.py": """
            import aiohttp

            class Bot:
                async def start(self):
                    self.session = aiohttp.ClientSession()
        """,
        "nintendo.py": """
            from typing import Optional
            from aiohttp import ClientSession

            class Nintendo:
                def __init__(self, token, *, session: ClientSession):
                    self.session: ClientSession = session

                async def version(self):
                    return await self.session.get("https://apps.example.com/version")

            async def translate(text, *, session: ClientSession):
                return await session.get("https://translate.example.com/", params={"q": text})

            class Cog:
                def __init__(self, bot):
                    self.bot = bot
                    self.api: Optional[Nintendo] = None

                async def setup(self, text):
                    self.api = Nintendo("token", session=self.bot.session)
                    text.translate({})  # str.translate is another function
                    return await translate(text, session=self.bot.session)
        """,
    }
    project = make_project(tmp_path, files)
    calls = outbound_calls(module(project, "nintendo.py"), project)
    assert [(c.line, c.client.module.path, c.client.factory is not None) for c in calls] == [
        (10, "bot.py", True), (13, "bot.py", True)]
    files["menu.py"] = """
        from nintendo import translate

        HANDLERS = {"translate": translate}  # called from elsewhere, with whatever session
    """
    project = make_project(tmp_path, files)
    calls = outbound_calls(module(project, "nintendo.py"), project)
    assert [(c.line, c.client.origin) for c in calls] == [(10, "constructed"), (13, "parameter")]



def test_client_kept_on_app_state_is_followed_from_the_request(tmp_path):
    project = make_project(tmp_path, {
        "main.py": """
            import httpx
            from fastapi import FastAPI

            app = FastAPI()

            @app.on_event("startup")
            async def start():
                app.state.payments = httpx.AsyncClient(timeout=None)
        """,
        "routes.py": """
            async def pay(request, order):
                return await request.app.state.payments.post("https://pay.example.com/charge", json=order)
        """,
    })
    [call] = outbound_calls(module(project, "routes.py"), project)
    assert call.client.keyword("timeout") is not None
    assert ("routes.py", 3) in findings(tmp_path, "R3.no-circuit-breaker")


def test_tornado_fetches_are_outbound_calls(tmp_path):
    project = make_project(tmp_path, {
        "handlers.py": """
            import tornado.auth
            import tornado.web
            from tornado import httpclient

            class LoginHandler(tornado.web.RequestHandler, tornado.auth.OAuth2Mixin):
                async def get(self):
                    await self.get_auth_http_client().fetch("https://id.example.com/me")

            class PlainHandler(tornado.web.RequestHandler):
                async def get(self):
                    self.get_auth_http_client().fetch("https://id.example.com/me")
                    self.cache.fetch("key")

            async def depth(url):
                return await httpclient.AsyncHTTPClient().fetch(url, request_timeout=None)
        """,
    })
    source = module(project, "handlers.py")
    assert [(c.library, c.operation, c.line) for c in outbound_calls(source, project)] == \
        [("tornado", "fetch", 8), ("tornado", "fetch", 16)]
    assert findings(tmp_path, "R3.http-no-timeout") == [("handlers.py", 16)]


def test_routes_of_pyramid_cornice_falcon_and_aiohttp_registrations(tmp_path):
    project = make_project(tmp_path, {
        "site/__init__.py": "",
        "site/api_config.py": """
            import venusian

            def add_api_view(config, view, **settings):
                config.add_view(view=view, renderer="json", **settings)

            def api_config(**settings):
                def callback(context, name, view):
                    add_api_view(context.config, view=view, **settings)

                def wrapper(wrapped):
                    venusian.attach(wrapped, callback, category="pyramid")
                    return wrapped
                return wrapper

            def cached(fn):
                return fn
        """,
        "site/views.py": """
            from pyramid.view import view_config, view_defaults
            from site.api_config import api_config, cached

            @view_config(route_name="home", renderer="home.jinja2")
            def home(request): ...

            @view_defaults(route_name="group")
            class GroupViews:
                def __init__(self, request):
                    self.request = request

                @view_config(request_method="POST")
                @view_config(request_method=("PUT", "PATCH"))
                def update(self): ...

                def helper(self): ...

            @api_config(route_name="api.search", request_method="GET")
            def search(request): ...

            @cached
            def not_a_view(request): ...

            def exception_view(exc, request): ...

            def includeme(config):
                config.add_view(exception_view, context=Exception)
        """,
        "site/resource.py": """
            from pyramid.config import Configurator
            from site.api_config import add_api_view

            def register(**kwargs):
                def wrapped(resource):
                    register_resource(resource, **kwargs)
                    return resource
                return wrapped

            def register_resource(resource, **kwargs):
                for method, view in resource.views():
                    add_api_view(Configurator(), view)

            class Resource:
                def plural_get(self): ...
                def get(self): ...
                def delete(self): ...
                def process(self): ...
        """,
        "site/buckets.py": """
            from pyramid.httpexceptions import HTTPNotFound
            from cornice import Service
            from site import resource

            @resource.register(plural_path="/buckets")
            class Bucket(resource.Resource):
                def delete(self): ...

            heartbeat = Service(name="heartbeat", path="/__heartbeat__")

            @heartbeat.get(permission="public")
            def get_heartbeat(request): ...

            def flush(request): ...

            heartbeat.add_view("POST", flush)
        """,
        "falcon_app.py": """
            import falcon

            class Things:
                def on_get(self, req, resp): ...
                def on_post_collection(self, req, resp): ...
                def on_event(self, name): ...
        """,
        "aio/__init__.py": "",
        "aio/handlers.py": """
            async def list_slots(request): ...
            async def get_slot(request): ...
        """,
        "aio/app.py": """
            from aiohttp import web
            from aio import handlers

            add_route = web.Application().router.add_route
            add_route("GET", "/{slot_id}", handlers.get_slot)
            web.Application().router.add_resource("").add_route("GET", handlers.list_slots)
        """,
    })
    routes = {(m.path, h.name, h.methods, h.framework) for m, h in project_routes(project)}
    assert routes == {
        ("site/views.py", "home", (), "pyramid"),
        ("site/views.py", "update", ("POST",), "pyramid"),
        ("site/views.py", "search", ("GET",), "pyramid"),
        ("site/views.py", "exception_view", (), "pyramid"),
        ("site/resource.py", "plural_get", ("GET",), "cornice"),
        ("site/resource.py", "get", ("GET",), "cornice"),
        ("site/buckets.py", "delete", ("DELETE",), "cornice"),
        ("site/buckets.py", "get_heartbeat", ("GET",), "cornice"),
        ("site/buckets.py", "flush", ("POST",), "cornice"),
        ("falcon_app.py", "on_get", ("GET",), "falcon"),
        ("falcon_app.py", "on_post_collection", ("POST",), "falcon"),
        ("aio/handlers.py", "list_slots", ("GET",), "aiohttp"),
        ("aio/handlers.py", "get_slot", ("GET",), "aiohttp"),
    }


def test_pyramid_template_views_answer_browsers(tmp_path):
    project = make_project(tmp_path, {
        "views.py": """
            from pyramid import httpexceptions
            from pyramid.view import view_config, view_defaults

            @view_config(route_name="cohorts", request_method="POST", renderer="cohorts.html.jinja2")
            def add_cohort(request):
                return {"added": True}

            @view_config(route_name="rename", request_method="POST")
            def rename(request):
                return httpexceptions.HTTPSeeOther(request.route_url("users"))

            @view_config(route_name="api.rename", request_method="POST", renderer="json")
            def api_rename(request):
                return {"renamed": True}

            @view_defaults(renderer="groups/edit.html.jinja2")
            class GroupEdit:
                @view_config(route_name="group_create", request_method="POST")
                def create(self):
                    return {"created": True}
        """,
    })
    source = module(project, "views.py")
    answers = {h.name: answers_browser(source, h.function) for _, h in project_routes(project)}
    assert answers == {"add_cohort": True, "rename": True, "api_rename": False, "create": True}


def test_pyramid_and_aiohttp_metrics_exporters_count_as_metrics(tmp_path):
    make_project(tmp_path, {
        "app.py": """
            from pyramid.config import Configurator
            from pyramid.view import view_config

            @view_config(route_name="home", renderer="json")
            def home(request):
                return {}

            def main():
                config = Configurator()
                config.include("pyramid_prometheus")
                return config.make_wsgi_app()
        """,
    })
    assert findings(tmp_path, "R3.no-metrics") == []
    (tmp_path / "app.py").write_text(textwrap.dedent("""
        from aiohttp import web
        from aiohttp_prometheus_exporter.handler import metrics

        async def index(request):
            return web.json_response({})

        app = web.Application()
        app.router.add_get("/", index)
        app.router.add_get("/metrics", metrics())
    """), encoding="utf-8")
    assert findings(tmp_path, "R3.no-metrics") == []
    source = (tmp_path / "app.py").read_text(encoding="utf-8")
    (tmp_path / "app.py").write_text(source.replace("from aiohttp_prometheus_exporter.handler import metrics\n", ""))
    assert findings(tmp_path, "R3.no-metrics") == [("app.py", 8)]
