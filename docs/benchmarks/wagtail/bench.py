"""Wagtail 8.0.1's page log reads on loggable's benchmark data set, for a side-by-side run.

The same data set as `loggable bench` seeds (5,020 pages in a tree of depth 5, 20 groups each
editing one section, 50 users, 200,000 page log entries of which 1% are about pages that no
longer exist, spread by the same hash), written with Django's ORM, then the same six reads
through Wagtail's own querysets (`PageLogEntry.objects.viewable_by_user`, the site history
report's union of every log model, the page history view's one entry per uuid and action), each the median of 7 runs after a
warm-up. Each read is timed twice: with the user read afresh for each read, as a request does,
and with one user object kept (Wagtail caches permissions on it).

    python3 -m venv venv && venv/bin/pip install "wagtail==8.0.1" "psycopg[binary]" mysqlclient
    venv/bin/python bench.py sqlite|postgresql|mysql [entries]

SQLite: a file in /tmp/wagtail-bench (Django's defaults: rollback journal). PostgreSQL: a
database `wagtail_bench` made afresh on 127.0.0.1:5432 as `postgres`. MariaDB: a database
`wagtail_bench` (utf8mb4) made afresh on 127.0.0.1:3306 as `root`, no password. Prints one JSON
line per read, named as `loggable bench` names them (`_warm_user` for the kept user object).
"""
import json, os, statistics, sys, time
from datetime import datetime, timedelta, timezone

backend = sys.argv[1]
ENTRIES = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
RUNS = 7

import django
from django.conf import settings

if backend == "sqlite":
    os.makedirs("/tmp/wagtail-bench", exist_ok=True)
    path = "/tmp/wagtail-bench/bench.sqlite3"
    if os.path.exists(path):
        os.remove(path)
    db = {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
elif backend == "mysql":
    import MySQLdb
    c = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", password="")
    c.cursor().execute("DROP DATABASE IF EXISTS wagtail_bench")
    c.cursor().execute("CREATE DATABASE wagtail_bench CHARACTER SET utf8mb4")
    c.close()
    db = {"ENGINE": "django.db.backends.mysql", "NAME": "wagtail_bench", "USER": "root",
          "PASSWORD": "", "HOST": "127.0.0.1", "PORT": "3306", "OPTIONS": {"charset": "utf8mb4"}}
else:
    import psycopg
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS wagtail_bench")
        c.execute("CREATE DATABASE wagtail_bench")
    db = {"ENGINE": "django.db.backends.postgresql", "NAME": "wagtail_bench",
          "USER": "postgres", "HOST": "127.0.0.1", "PORT": "5432"}

settings.configure(
    DEBUG=False,
    DATABASES={"default": db},
    INSTALLED_APPS=[
        "wagtail.users", "wagtail.admin", "wagtail", "modelcluster", "taggit",
        "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
        "django.contrib.messages",
    ],
    USE_TZ=True,
    SECRET_KEY="bench",
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    WAGTAIL_SITE_NAME="bench",
    WAGTAILADMIN_BASE_URL="http://localhost",
    STATIC_URL="/static/",
)
django.setup()

from django.core.management import call_command
call_command("migrate", verbosity=0)

from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from wagtail.log_actions import registry as log_registry
from wagtail.models import GroupPagePermission, Locale, Page, PageLogEntry, Site

FANOUT = [20, 10, 6, 3]
USERS = 50
DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MASK = (1 << 64) - 1


def spread(n):
    z = (n + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def step(n):
    out = ""
    for _ in range(4):
        out = DIGITS[n % 36] + out
        n //= 36
    return out


def seed():
    Site.objects.all().delete()
    Page.objects.filter(depth__gt=1).delete()
    root = Page.objects.get(depth=1)
    page_type = ContentType.objects.get_for_model(Page)
    locale = Locale.get_default()
    rows, level = [], [root.path]
    children = {root.path: 0}
    for depth, fanout in enumerate(FANOUT):
        nxt = []
        for parent in level:
            children[parent] = fanout
            for n in range(1, fanout + 1):
                path = parent + step(n)
                rows.append((path, depth + 2))
                nxt.append(path)
        level = nxt
    Page.objects.filter(pk=root.pk).update(numchild=FANOUT[0])
    Page.objects.bulk_create(
        [Page(path=p, depth=d, numchild=children.get(p, 0), title=f"Page {p}",
              draft_title=f"Page {p}", slug=p.lower(), url_path=f"/{p.lower()}/",
              content_type=page_type, locale=locale, live=True)
         for p, d in rows], batch_size=500)
    pages = list(Page.objects.order_by("path").values_list("id", "path"))
    sections = [pid for pid, p in pages if len(p) == 8]
    change = Permission.objects.get(codename="change_page", content_type__app_label="wagtailcore")
    groups = []
    for i, section in enumerate(sections):
        g = Group.objects.create(name=f"Section {i} editors")
        GroupPagePermission.objects.create(group=g, page_id=section, permission=change)
        groups.append(g)
    users = []
    for i in range(USERS):
        u = User.objects.create_user(username=f"bench-user-{i}")
        u.groups.add(groups[i % len(groups)])
        users.append(u)
    admin = User.objects.create_superuser(username="bench-admin", password="x")
    deleted = ENTRIES // 100
    max_page = max(pid for pid, _ in pages)
    start = datetime.now(timezone.utc) - timedelta(days=365)
    tick = timedelta(microseconds=365 * 86_400 * 1_000_000 // ENTRIES)
    batch = []
    for i in range(ENTRIES):
        page = max_page + 1 + (i % 100) if i < deleted else pages[spread(i) % len(pages)][0]
        user = users[spread(~i & MASK) % len(users)]
        batch.append(PageLogEntry(page_id=page, content_type=page_type, label=f"Page {page}",
                                  action="wagtail.edit", data={}, timestamp=start + tick * i,
                                  user_id=user.pk, content_changed=True))
        if len(batch) == 20_000:
            PageLogEntry.objects.bulk_create(batch)
            batch = []
    PageLogEntry.objects.bulk_create(batch)
    with connection.cursor() as c:
        if backend == "mysql":
            c.execute("ANALYZE TABLE " + ", ".join(connection.introspection.table_names(c)))
            c.fetchall()
        else:
            c.execute("ANALYZE" if backend == "sqlite" else "VACUUM ANALYZE")
    return users[0], admin, pages[len(pages) // 2][0]


editor, superuser, history_page = seed()
# Fresh user objects: nothing cached on them from seeding.
editor = User.objects.get(pk=editor.pk)
superuser = User.objects.get(pk=superuser.pk)

def site_history(user):
    """The site history report's first page (LogEntriesView.get_filtered_queryset, then
    decorate_paginated_queryset): a union of each log model's viewable entries, 50 of them."""
    from django.db.models import IntegerField, Value
    models = list(log_registry.get_log_entry_models())
    queryset = None
    for index, model in enumerate(models):
        sub = (model.objects.viewable_by_user(user).values("pk", "timestamp")
               .annotate(log_model_index=Value(index, output_field=IntegerField()))
               .order_by())
        queryset = sub if queryset is None else queryset.union(sub, all=True)
    page = list(queryset.order_by("-timestamp")[:50])
    ids = {}
    for row in page:
        ids.setdefault(row["log_model_index"], []).append(row["pk"])
    found = {}
    for index, pks in ids.items():
        for entry in models[index].objects.filter(pk__in=pks).select_related("user"):
            found[(index, entry.pk)] = entry
    return len([found[(row["log_model_index"], row["pk"])] for row in page])


def reads(editor_of, superuser_of):
    """Each read as a request makes it: with the user object `editor_of()` gives."""
    return [
        ("viewable_by_user_first50_editor",
         lambda: len(list(PageLogEntry.objects.viewable_by_user(editor_of()).order_by("-timestamp", "-id")[:50]))),
        ("viewable_by_user_first50_superuser",
         lambda: len(list(PageLogEntry.objects.viewable_by_user(superuser_of()).order_by("-timestamp", "-id")[:50]))),
        ("viewable_by_user_count_editor",
         lambda: PageLogEntry.objects.viewable_by_user(editor_of()).count()),
        ("viewable_by_user_count_superuser",
         lambda: PageLogEntry.objects.viewable_by_user(superuser_of()).count()),
        ("site_history_first50_editor", lambda: site_history(editor_of())),
        # The page history view's queryset (wagtail.admin.views.pages.history): one entry per
        # uuid and action, newest first.
        ("page_history_first50",
         lambda: len(list(PageLogEntry.objects.filter(page_id=history_page)
                          .latest_by_uuid_and_action().order_by("-timestamp", "-id")[:50]))),
    ]


# As in a request: the user is read afresh (Django's authentication middleware does), so
# nothing Wagtail caches on the user object carries over from one read to the next. Then,
# as a second figure, with one user object kept across the reads (its permissions cached).
fresh = reads(lambda: User.objects.get(pk=editor.pk), lambda: User.objects.get(pk=superuser.pk))
warm = reads(lambda: editor, lambda: superuser)
for suffix, kind in (("", fresh), ("_warm_user", warm)):
    for metric, read in kind:
        n = read()  # warm-up
        times = []
        for _ in range(RUNS):
            begun = time.perf_counter()
            read()
            times.append(time.perf_counter() - begun)
        print(json.dumps({"db": backend, "metric": metric + suffix, "n": n,
                          "seconds": statistics.median(times), "entries": ENTRIES}), flush=True)
