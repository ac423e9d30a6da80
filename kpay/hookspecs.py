"""Every KPay hook, each with the docstring that is its reference documentation.

Hooks are called with keyword arguments; an implementation takes only the arguments it uses.
Hooks return data (the frozen types in ``kpay.api``); the core renders it. Shown items carry
an explicit ``order``: never rely on the order in which pluggy calls implementations.
``docs/hooks.md`` is generated from this module (``python -m kpay.hookdocs``).
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("kpay")
hookimpl = pluggy.HookimplMarker("kpay")


@hookspec(historic=True)
def kpay_addhooks(pm):
    """Add hook specifications of a plugin's own.

    Called: once, when the plugin is registered (historic: late registrations are called too).
    Receives: ``pm``, the app's ``pluggy.PluginManager``; call ``pm.add_hookspecs(module)``.
    Returns: nothing.
    """


@hookspec
def kpay_config_defaults():
    """Declare the plugin's settings, read from ``[plugins.<name>]`` in ``kpay.toml``.

    Called: at start-up, before the plugins' settings are validated.
    Returns: a dict of setting name to ``kpay.api.Setting`` (or to a plain default value).
    ``KPAY_PLUGINS_<NAME>_<KEY>`` environment variables override the file. A key the plugin
    does not declare stops start-up (a disabled plugin's table is kept, unchecked). The
    validated values are in ``current_app.config["KPAY"]["plugins"][name]``.
    """


@hookspec
def kpay_init_app(app):
    """Set up the plugin on the Flask app: Jinja filters, request hooks, extensions.

    Called: once at start-up, after the core extensions and blueprints are registered.
    Receives: ``app``, the Flask application.
    Returns: nothing.
    """


@hookspec
def kpay_blueprints():
    """Give the plugin's blueprints.

    Called: once at start-up. A blueprint without its own ``url_prefix`` is mounted at
    ``/<blueprint name>``; its name should be the plugin's name.
    Returns: a list of ``flask.Blueprint``.
    """


@hookspec
def kpay_migration_dirs():
    """Give the folders that hold the plugin's Alembic revisions (one branch per plugin).

    Called: when the app is created, to build Alembic's ``version_locations``; ``kpay db``
    also asks installed plugins that are disabled, so their recorded revisions resolve. The
    branch's first revision has ``branch_labels=("<name>",)`` and ``depends_on`` a core
    revision; ``kpay db upgrade`` applies every branch.
    Returns: a list of absolute paths.
    """


@hookspec
def kpay_cli(cli):
    """Add commands to the ``kpay`` command line.

    Called: when the ``kpay`` command starts, for enabled plugins.
    Receives: ``cli``, the ``click.Group`` of ``kpay``; add a group named after the plugin.
    Returns: nothing.
    """


@hookspec
def kpay_schedules():
    """Give the sweeps the worker's minute clock runs.

    Called: by the clock every minute (``kpay worker``, or ``kpay run`` in embedded mode).
    Each sweep runs at most once per period across all clocks (claimed by a database row) and
    must be idempotent; slow work inside it goes through ``kpay.api.enqueue``. A period is
    ``minutes=N`` (aligned to multiples of N minutes since 1970-01-01 00:00 UTC) or a day,
    ``at="HH:MM"`` in the site's time zone; a sweep runs in the first tick of its period.
    Returns: a list of ``kpay.api.Schedule``.
    """


@hookspec
def kpay_permissions():
    """Declare capabilities and the roles that hold them.

    Called: at start-up, to build the permission table used by ``kpay.permissions.can``.
    Returns: a list of ``kpay.api.Permission``.
    """


@hookspec
def kpay_nav_items(user):
    """Give links for the site navigation.

    Called: when a full page is rendered for a role (or a visitor) and language not seen
    before; the links are kept for the app's life and shown to every member of that role.
    Receives: ``user``, the current user (``AnonymousUser`` when logged out). Decide from
    their role (``can``) and whether they are logged in, not from their own data.
    Returns: a list of ``kpay.api.NavItem``; sorted by ``order``, then label.
    """


@hookspec
def kpay_admin_nav_items(user):
    """Give links for the admin console's menu (a plugin's moderation queue, say).

    Called: when an admin console page is rendered, for a member who may open it.
    Receives: ``user``, the current member.
    Returns: a list of ``kpay.types.NavItem``; sorted by ``order``, then label. Check the
    member's permission before returning a link.
    """


@hookspec
def kpay_widgets(slot, context, user):
    """Fill a widget slot such as ``home.sidebar``, ``learning.main`` or ``course.side`` (see "Widget slots").

    Called: when a page places the slot with ``{{ widget_slot("<slot>", context) }}``.
    Receives: ``slot`` (its name), ``context`` (a dict of what the page passes, possibly
    empty) and ``user``. Return nothing for slots the plugin does not fill.
    Returns: a list of ``kpay.api.Widget``; sorted by ``order``, then title.
    """


@hookspec
def kpay_assets(template):
    """Give stylesheets and scripts a page needs.

    Called: the first time a full page of ``template`` is rendered; the answer is kept for the
    app's life, so it depends on ``template`` alone (not on the member or the request).
    Receives: ``template``, the name of the page template being rendered.
    Returns: a list of ``kpay.api.Asset``; duplicates are dropped.
    """


@hookspec
def kpay_event(event):
    """React to an activity event (``course.completed``, ``user.signed_up`` ...).

    Called: after the transaction that emitted the event has committed, in the process that
    committed it; keep it fast and send heavy work to ``kpay.api.enqueue``. What an
    implementation adds to ``db.session`` is committed when it returns; one that raises is
    logged and rolled back, and the other plugins still hear of the event.
    Receives: ``event``, a ``kpay.api.Event``.
    Returns: nothing.
    """


@hookspec
def kpay_notification_kinds():
    """Declare the kinds of notification the plugin sends with ``kpay.api.notify``.

    Called: when a notification is sent, and when a member's notification settings are shown
    or saved. ``kpay.api.notify`` refuses a kind nobody declared.
    Returns: a list of ``kpay.api.NotificationKind``; shown by ``order``, then name. A member
    who never chose a channel for a kind gets its ``default_channel``.
    """


@hookspec
def kpay_resource_products(resource):
    """Say which products unlock one of the plugin's resources.

    Called: by ``kpay.api.can_access`` when a member who is neither an admin nor the
    resource's creator asks for a resource that is not free.
    Receives: ``resource``, a ``kpay.api.Resource``.
    Returns: the ids of the products that unlock it (a bundle's id appears for each of its
    resources), or ``None`` when the resource is not the plugin's. A member with an active
    entitlement to any of them has access.
    """


@hookspec
def kpay_lesson_sources(user):
    """Offer what of the plugin's ``user`` may make a lesson of in one of their courses (a live
    lecture, say): its schedule now, its replay later.

    Called: by a courses plugin when the course's creator writes a lesson (the choices) and
    saves it (the check).
    Receives: ``user``, the course's creator.
    Returns: a list of ``kpay.api.LessonSource``; ``key`` is a ``Resource.key``
    (``lecture:12``). An open lesson made of it shows the widgets of the slot
    ``lesson.source`` (context ``course``, ``lesson``, ``source``: the key), which the plugin
    fills, asking ``can_access`` about the resource; the plugin's ``kpay_resource_products``
    adds what ``kpay_lesson_source_products`` gives, so the course's learners have access.
    """


@hookspec
def kpay_lesson_source_products(keys):
    """Say which products unlock the courses that hold resources as lessons.

    Called: by a plugin that offers lesson sources (``kpay_lesson_sources``), inside its
    ``kpay_resource_products`` and ``kpay_resources``, once for all the resources it describes.
    Receives: ``keys``, a list of ``Resource.key`` strings (``lecture:12``).
    Returns: a dict from each key some published course holds to the ids of the products that
    unlock such courses (keys no course holds are left out), in one statement.
    """


@hookspec
def kpay_access_grants(user, resource):
    """Open a resource to a member on another ground than a product (a level reached, say).

    Called: by ``kpay.api.can_access`` when a member who is neither an admin nor the
    resource's creator, and holds no product that unlocks it, asks for a resource that is not
    free; and by ``kpay.api.access_notes`` when a locked page says how to open it (then
    ``user`` may be a visitor). Called for every resource a page checks: answer from data the
    request already holds or loads once, never a query per resource.
    Receives: ``user`` (a member, or an anonymous visitor for ``access_notes``) and
    ``resource``, a ``kpay.api.Resource``.
    Returns: a ``kpay.api.AccessGrant`` (``granted`` opens the resource; ``note`` is shown
    on its locked page), or ``None`` when the plugin has no say about it.
    """


@hookspec
def kpay_permission_grants(user, name):
    """Give a member a permission their role does not hold (a level reached, say).

    Called: by ``kpay.api.can`` (and ``require``, and templates' ``can``) when a signed-in
    member's role does not hold the known permission ``name``; called on many pages, so answer
    from data the request already holds or loads once, never a query per call.
    Receives: ``user``, a signed-in member, and ``name``, a declared permission's name
    (``forums.post_links``).
    Returns: ``True`` to grant it, or ``None`` when the plugin has no say (``False`` takes
    nothing away: another plugin's ``True`` still grants it).
    """


@hookspec
def kpay_resources(keys):
    """Describe many of the plugin's resources at once, for checking access to all of them.

    Called: by ``kpay.api.can_access_keys`` (the search results, say) with the keys of the
    paid places a page is about to show.
    Receives: ``keys``, a list of ``Resource.key`` strings (``course:7``) of any plugin's kinds.
    Returns: a dict from each key of the plugin's own kinds to ``(resource, product_ids)``: the
    ``kpay.api.Resource`` (with ``creator_id`` and ``free``, as the plugin's pages build it) and
    what ``kpay_resource_products`` would return for it; keys of rows that do not exist are
    left out. Use a constant number of statements, whatever the number of keys. A key no
    plugin describes is checked with ``can_access`` one by one.
    """


@hookspec
def kpay_payment_providers():
    """Offer ways to pay at checkout.

    Called: at start-up (a ``test_mode`` provider stops a production site) and whenever
    checkout lists or uses providers.
    Returns: a list of ``kpay.api.PaymentProvider``; names are unique across plugins.
    """


@hookspec
def kpay_upload_folders():
    """Declare the storage folders the plugin keeps uploaded files in.

    Called: by ``kpay storage check``, ``migrate`` and ``backup``, ``kpay backup`` and
    ``kpay restore``, and by the
    core's cleanup sweep, which deletes a folder's files that are no longer in use once they
    are older than ``storage.grace_hours``.
    Returns: a list of ``kpay.types.UploadFolder``; its ``in_use()`` gives the keys (or key
    prefixes ending in ``/``) that rows still point at.
    """


@hookspec
def kpay_search_documents(since):
    """Give the plugin's documents to the search index.

    Called: by the indexer (a search plugin), for a full rebuild with ``since=None`` or for
    the documents changed after ``since`` (an aware UTC ``datetime``).
    Receives: ``since``, ``None`` or a ``datetime``.
    Returns: an iterable of ``kpay.api.SearchDocument``. ``visibility`` is ``"public"``,
    ``"members"`` (any logged-in member) or a ``Resource.key`` such as ``"course:7"``: the
    search plugin shows such a hit only to members for whom ``can_access`` holds, and must
    not show its body in snippets to anyone else. A deleted or hidden document is returned
    with an empty ``body`` and ``visibility="gone"`` so the index drops it. ``place`` /
    ``place_title`` (the circle or course it lives in) and ``author_id`` / ``author`` feed the
    search filters and result lines. ``url`` is site-relative (the indexer may call the hook
    outside a request, under a stand-in request context). Return every document changed
    after ``since``, also those whose visibility changed because their container did: the
    search plugin asks again every minute, so a late change is never lost, only delayed.
    Example: ``examples/kpay-hello`` (``greetings.search_documents``); docs/search.md.
    """


@hookspec
def kpay_user_data(user, action):
    """Export or erase the plugin's data about one member (the privacy page).

    Called: with ``action="export"`` by the job that builds a member's "Download my data"
    ZIP; with ``action="erase"`` when a member deletes their account, before the core
    anonymises the member's row, in the same transaction (the caller commits; raising
    undoes the whole deletion). Called for the enabled plugins and also for installed but
    disabled ones whose tables (``<name>_*``) are in the database; a disabled plugin that
    raises makes the deletion refused, naming it. Every plugin with a table that points at
    ``users.id`` must implement it.
    Receives: ``user``, the ``kpay.models.User``; ``action``, ``"export"`` or ``"erase"``.
    Returns: for ``export``, a JSON-serialisable dict (datetimes are written as ISO 8601),
    stored as ``plugins/<plugin name>.json`` in the ZIP, or ``None`` when the plugin holds
    nothing about the member. For ``erase``, nothing: delete the member's rows, or anonymise
    those others still need (a ledger's rows stay, pointing at the anonymised member).
    """


@hookspec
def kpay_demo_data():
    """Create the plugin's demo content.

    Called: by ``kpay demo``, after the core has created the demo members (look them up by
    e-mail: ``owner@example.com``, ``creator@example.com``, ``member@example.com``); and by
    ``kpay demo --plugin <name>`` alone, on a site that may have any members or none, so
    add nothing twice. Create content in English and Simplified Chinese. The caller commits.
    Returns: nothing.
    """


@hookspec(firstresult=True)
def kpay_handle_error(error):
    """Render an error page differently (a plugin's own 404 for its URLs, say).

    Called: when an error page (403, 404, 413, 429, 500) is about to be rendered; the first
    implementation that returns a response wins.
    Receives: ``error``, the ``werkzeug.exceptions.HTTPException``.
    Returns: a Flask response, or ``None`` to let the core render it.
    """
