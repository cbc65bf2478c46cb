"""R2.check-then-act messages: what the second of two racing requests meets, as the models declare it."""

from __future__ import annotations

from pathlib import Path

from audit_lib.engine import Audit
from audit_lib.settings import Settings

MODELS = '''
from sqlalchemy import Column, Integer, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Realm(Base):
    __tablename__ = "realm"
    id = Column(Integer, primary_key=True)
    name = Column(Text, default="", unique=True, nullable=False)


class Run(Base):
    __tablename__ = "run"
    id = Column(Integer, primary_key=True)
    hash = Column(Text, unique=True, nullable=False)


class Note(Base):
    __tablename__ = "note"
    id = Column(Integer, primary_key=True)
    title = Column(Text)
'''

SERVICE = '''
from django.contrib.auth.models import Group

from models import Note, Realm
from models import Run as RunModel


def create_realm(name, session):
    if session.query(Realm).filter(Realm.name == name).first():
        raise ValueError("exists")
    session.add(Realm(name=name))
    session.commit()


def create_run(runhash, session):
    if session.query(RunModel).filter(RunModel.hash == runhash).scalar():
        raise ValueError("exists")
    session.add(RunModel(hash=runhash))
    session.commit()


def create_note(title, session):
    if session.query(Note).filter(Note.title == title).first():
        raise ValueError("exists")
    session.add(Note(title=title))
    session.commit()


def group_for(name):
    try:
        return Group.objects.get(name__iexact=name)
    except Group.DoesNotExist:
        return Group.objects.create(name=name)
'''


def test_a_unique_key_is_named_as_what_refuses_the_loser(tmp_path: Path):
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "service.py").write_text(SERVICE)
    result = Audit(Settings(code_root=str(tmp_path), database="none", rules=["R2.check-then-act"])).run()
    messages = {f.message.split(":")[0]: f.message for f in result.findings if f.rule == "R2.check-then-act"}
    assert set(messages) == {"check-then-act on Realm", "check-then-act on RunModel", "check-then-act on Note",
                             "check-then-act on Group"}, messages
    for table in ("Realm", "RunModel", "Group"):  # a constant default, an import alias, Django's own Group
        message = messages[f"check-then-act on {table}"]
        assert f"fails with IntegrityError on {table}'s unique key" in message and "duplicate row" not in message, message
    assert "so both insert: a duplicate row" in messages["check-then-act on Note"]
