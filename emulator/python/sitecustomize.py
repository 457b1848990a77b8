"""
moto_server as the local stack runs it (emulator/moto.ts puts this folder on PYTHONPATH). moto keeps every model
instance it ever made in its class's `instances_tracked` list, for its dashboard and its reset, until a reset: every
aborted upload, every replaced DynamoDB item stays in memory (moto 5.2.1, moto/core/common_models.py
BaseModel.__new__). AWS frees what is deleted; here the lists hold weak references, so what moto no longer uses is
freed, and glibc is asked every 10 s to give freed pages back (malloc_trim(3): free() keeps them otherwise). A
DynamoDB item keeps its own copy of every attribute name and value parsed from JSON: names and short values are shared
instead (sys.intern), measured 5.3 → 2.9 KB per sweep record. werkzeug 3 (moto_server's HTTP server) answers every
request with `Connection: close`, because it cannot drain an unread body before the next request line: here a plain
request's body (Content-Length, no Transfer-Encoding, no Expect) is read whole before moto sees it and the connection
stays open (a 500-upload sweep: 2,079 connections → 123); any other request, or a client's `Connection: close`, is
served as werkzeug does; a kept connection's sockets send with Nagle's algorithm off (werkzeug writes headers and body
apart: the body waited 40 ms for the client's delayed ACK). moto_server lists its own package folder to route every
request (a stat per service folder up to the one asked): listed once here, and its log of every request is off (errors
stay on stderr). Per request moto also re-sums an item's size per attribute, lists a service's methods, parses a
condition twice, sorts the whole table before a Query, parses its own timestamps with dateutil and builds its table of
a service's errors for every error answered: each done once, or the cheap way, with the same answers
(test/conformance/moto-fast-paths.test.ts). moto answers ListMultipartUploads with every upload of the bucket (10 MB
of XML at 20,000 uploads, for every page); asked by the stack's proxy (LISTING_PAGE_HEADER,
emulator/list-uploads-paging.ts), it answers only the first n after the markers in S3's order, and the proxy cuts S3's
page from those as before. Any failure leaves moto as it is, with one line on stderr.
"""

import ctypes
import datetime
import inspect
import io
import json
import selectors
import socket
import sys
import threading
import time
import weakref

TRIM_EVERY_SECONDS = 10


class WeakInstances:
    """What moto needs of the list (append, iterate, len), holding weak references, pruned as it grows."""

    def __init__(self, instances=()):
        self._lock = threading.Lock()
        self._refs = [weakref.ref(i) for i in instances]
        self._prune_at = 1024

    def append(self, instance):
        with self._lock:
            self._refs.append(weakref.ref(instance))
            if len(self._refs) >= self._prune_at:
                self._refs = [r for r in self._refs if r() is not None]
                self._prune_at = max(1024, 2 * len(self._refs))

    def _live(self):
        with self._lock:
            refs = list(self._refs)
        return [i for i in (r() for r in refs) if i is not None]

    def __iter__(self):
        return iter(self._live())

    def __len__(self):
        return len(self._live())


def _track_weakly():
    from moto.core import common_models

    base = common_models.BaseModel

    def __new__(cls, *args, **kwargs):
        instance = super(base, cls).__new__(cls)
        tracked = cls.instances_tracked
        if not isinstance(tracked, WeakInstances):
            tracked = WeakInstances(tracked)
            cls.instances_tracked = tracked
        tracked.append(instance)
        return instance

    base.__new__ = __new__


SHARED_VALUE_CHARS = 256
PARSED_CONDITIONS = 1024


def _size_items_once():
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    # moto's LimitedSizeDict re-sums the whole item for each attribute it adds; the same sum, once (sizes are >= 0,
    # so a prefix is over the limit only if the whole is)
    def item(self, hash_key, range_key, attrs):
        self.hash_key = hash_key
        self.range_key = range_key
        values = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
        if sum(bytesize(key) + value.size() for key, value in values.items()) > 405000:
            raise ItemSizeTooLarge
        self.attrs = dynamo_type.LimitedSizeDict()
        dict.update(self.attrs, values)

    dynamo_type.Item.__init__ = item


def _parse_conditions_once():
    from moto.dynamodb.models import table

    parse = table.get_filter_expression
    parsed = {}

    # a parsed expression is evaluated against an item and kept by nothing: one parse serves every request that sends it
    def condition(expr, names, values):
        key = json.dumps([expr, names, values], sort_keys=True, default=str)
        if key not in parsed:
            if len(parsed) >= PARSED_CONDITIONS:
                parsed.clear()
            parsed[key] = parse(expr, names, values)
        return parsed[key]

    table.get_filter_expression = condition


def _query_without_sorting_the_table():
    from moto.dynamodb.models import table

    # Table.query sorts every item of the table by its key (all_items), then keeps the index's or key's matches and sorts
    # those by their full key, a total order: the first sort cannot change the answer, and cost O(n log n) per Query
    unsorted = threading.local()
    all_items_as_is = table.Table.all_items
    query_as_is = table.Table.query

    def all_items(self):
        if not getattr(unsorted, "on", False):
            return all_items_as_is(self)
        if self.range_key_attr:
            return [item for items in self.items.values() for item in items.values()]
        return list(self.items.values())

    def query(self, *args, **kwargs):
        unsorted.on = True
        try:
            return query_as_is(self, *args, **kwargs)
        finally:
            unsorted.on = False

    table.Table.all_items = all_items
    table.Table.query = query


def _read_timestamps_fast():
    from moto.core import serialize

    parse_as_is = serialize.parse_to_aware_datetime

    # moto writes a model's time as an ISO 8601 string and reads it back with dateutil's general parser for every answer
    def parse(value):
        if type(value) is str and value.endswith("Z"):
            try:
                return datetime.datetime.fromisoformat(value)
            except ValueError:
                pass
        return parse_as_is(value)

    serialize.parse_to_aware_datetime = parse


def _look_errors_up_once():
    from moto.core import errors, utils

    # an error's answer looks its code up in a table of the service's errors, which a new ErrorLookupFactory builds for
    # every error answered (2,000 NoSuchUpload a sweep): one table per service, shared
    shared = {}
    factory_init = errors.ErrorLookupFactory.__init__

    def factory(self):
        factory_init(self)
        self._error_lut_cache = shared

    errors.ErrorLookupFactory.__init__ = factory

    # moto caches the service's name and model, but the first request of each of its 40 threads computed them
    # together: the first computes, the others wait for its answer
    lock = threading.Lock()
    for name in ("service_name_from_moto_package_name", "get_service_model"):
        cached = getattr(utils, name)

        def once(key, cached=cached):
            with lock:
                return cached(key)

        setattr(utils, name, once)


def _refuse_parts_of_gone_uploads():
    from moto.s3 import models
    from moto.s3.exceptions import NoSuchUpload

    # moto looks the upload up unguarded and answers KeyError as 500 InternalError; S3 answers 404 NoSuchUpload
    # (UploadPart, UploadPartCopy and CompleteMultipartUpload API references, Errors)
    def guarded(name):
        as_is = getattr(models.S3Backend, name)

        def method(self, bucket_name, multipart_id, *args, **kwargs):
            if multipart_id not in self.get_bucket(bucket_name).multiparts:
                raise NoSuchUpload(upload_id=multipart_id)
            return as_is(self, bucket_name, multipart_id, *args, **kwargs)

        setattr(models.S3Backend, name, method)

    for name in ("upload_part", "upload_part_copy", "complete_multipart_upload"):
        guarded(name)


def _one_dynamodb_request_at_a_time():
    from moto.dynamodb import responses

    # moto serves requests on many threads without a lock: TransactWriteItems deep-copies a table while another request
    # writes it ("dictionary changed size during iteration", answered 500) and two UpdateItems can lose one's change.
    # DynamoDB applies each request atomically; here one request is applied at a time (the GIL ran one anyway)
    lock = threading.RLock()
    call_action_as_is = responses.DynamoHandler.call_action

    def call_action(self):
        with lock:
            return call_action_as_is(self)

    responses.DynamoHandler.call_action = call_action


def _find_actions_once():
    from moto.core import responses

    names = {}

    def method_names(clazz):
        if clazz not in names:
            names[clazz] = frozenset(name for name, _ in inspect.getmembers(clazz, predicate=inspect.isfunction))
        return names[clazz]

    responses.method_names_from_class = method_names


def _share_repeated_strings():
    from moto.dynamodb.models import dynamo_type

    item_init = dynamo_type.Item.__init__
    value_init = dynamo_type.DynamoType.__init__

    def item(self, hash_key, range_key, attrs, *args, **kwargs):
        shared = {sys.intern(k) if type(k) is str else k: v for k, v in attrs.items()}
        item_init(self, hash_key, range_key, shared, *args, **kwargs)

    def value(self, *args, **kwargs):
        value_init(self, *args, **kwargs)
        if type(self.value) is str and len(self.value) <= SHARED_VALUE_CHARS:
            self.value = sys.intern(self.value)

    dynamo_type.Item.__init__ = item
    dynamo_type.DynamoType.__init__ = value


def _keep_connections_open():
    import werkzeug.serving as serving

    # per request thread: whether werkzeug's own close-and-drain applies to the request being served
    request = threading.local()

    class DrainSelector:
        """werkzeug's post-request drain: real when the connection closes, empty when it stays open (body read)"""

        def __init__(self):
            self._real = selectors.DefaultSelector() if getattr(request, "close", True) else None

        def register(self, *args, **kwargs):
            if self._real:
                self._real.register(*args, **kwargs)

        def select(self, timeout=None):
            return self._real.select(timeout) if self._real else []

        def close(self):
            if self._real:
                self._real.close()

    class Selectors:
        DefaultSelector = DrainSelector
        EVENT_READ = selectors.EVENT_READ

    handler = serving.WSGIRequestHandler
    run_wsgi_as_is = handler.run_wsgi
    send_header_as_is = handler.send_header

    def run_wsgi(self):
        plain = "Transfer-Encoding" not in self.headers and "Expect" not in self.headers
        request.close = self.close_connection or not plain
        if request.close:
            return run_wsgi_as_is(self)
        socket_file = self.rfile
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile = io.BufferedReader(io.BytesIO(socket_file.read(length)))
        try:
            return run_wsgi_as_is(self)
        finally:
            self.rfile = socket_file

    def send_header(self, key, value):
        if key.lower() == "connection" and value.lower() == "close" and not request.close:
            return
        send_header_as_is(self, key, value)

    setup_as_is = handler.setup

    def setup(self):
        setup_as_is(self)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # werkzeug.serving uses the selectors module for that drain only
    serving.selectors = Selectors
    handler.run_wsgi = run_wsgi
    handler.send_header = send_header
    handler.setup = setup


LISTING_PAGE_HEADER = "x-local-stack-listing-page"


def _list_only_the_page():
    from moto.s3 import models, responses

    asked = threading.local()
    respond_as_is = responses.S3Response.list_multipart_uploads
    list_as_is = models.S3Backend.list_multipart_uploads

    def respond(self):
        first = self.headers.get(LISTING_PAGE_HEADER)
        query = self.querystring
        asked.page = None
        if first and first.isdigit() and "delimiter" not in query:
            value = lambda name: (query.get(name) or [""])[0]
            asked.page = (int(first), value("prefix"), value("key-marker"), value("upload-id-marker"))
        try:
            return respond_as_is(self)
        finally:
            asked.page = None

    def listed(self, bucket_name):
        uploads = list_as_is(self, bucket_name)
        page = getattr(asked, "page", None)
        if page is None:
            return uploads
        first, prefix, key_marker, upload_id_marker = page

        # S3's order and markers (lib/upload-order.ts): code point order is UTF-8 byte order
        def after(u):
            if key_marker == "":
                return True
            return u.key_name > key_marker or (u.key_name == key_marker and upload_id_marker != "" and u.id > upload_id_marker)

        chosen = [u for u in uploads.values() if u.key_name.startswith(prefix) and after(u)]
        chosen.sort(key=lambda u: (u.key_name, u.id))
        return {u.id: u for u in chosen[:first]}

    responses.S3Response.list_multipart_uploads = respond
    models.S3Backend.list_multipart_uploads = listed


def _find_services_once():
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _log_errors_only():
    import werkzeug.serving as serving

    serving.WSGIRequestHandler.log_request = lambda self, code="-", size="-": None


def _give_back_freed_memory():
    trim = ctypes.CDLL("libc.so.6").malloc_trim

    def loop():
        while True:
            time.sleep(TRIM_EVERY_SECONDS)
            trim(0)

    threading.Thread(target=loop, name="malloc-trim", daemon=True).start()


# each patch, and what moto_server does without it (another moto or Python: that one runs unchanged); in this order:
# _share_repeated_strings wraps the Item.__init__ that _size_items_once has put in place
PATCHES = [
    (_track_weakly, "moto keeps every instance it made"),
    (_size_items_once, "moto sums an item's size once per attribute"),
    (_find_actions_once, "moto lists a service's methods for every request"),
    (_look_errors_up_once, "moto builds its table of a service's errors for every error"),
    (_parse_conditions_once, "moto parses a condition twice per write"),
    (_query_without_sorting_the_table, "moto sorts the whole table for every Query"),
    (_read_timestamps_fast, "moto parses every timestamp it answers with dateutil"),
    (_share_repeated_strings, "moto keeps a copy of every attribute name"),
    (_keep_connections_open, "moto_server closes every connection"),
    (_list_only_the_page, "moto_server lists every upload for every page"),
    (_refuse_parts_of_gone_uploads, "moto answers a part of an aborted upload 500"),
    (_one_dynamodb_request_at_a_time, "moto applies DynamoDB requests side by side, unlocked"),
    (_find_services_once, "moto_server lists its own package folder for every request"),
    (_log_errors_only, "moto_server logs every request"),
    (_give_back_freed_memory, "moto_server keeps the memory it freed"),
]
for patch, without in PATCHES:
    try:
        patch()
    except Exception as error:
        print(f"local stack: {without} ({error})", file=sys.stderr)
