"""The one Scrapy settings module. Every value can be overridden with `-s NAME=VALUE`
or, for the YRD_* ones, by `yrdnews crawl` options."""

import os

BOT_NAME = "yrdnews"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Polite by default: the sources are small government sites as much as big newsrooms.
# Whoever runs a crawl should say how to reach them: set YRD_CONTACT_URL in the
# environment (a cron job's, say) or override USER_AGENT outright with -s.
YRD_CONTACT_URL = os.environ.get("YRD_CONTACT_URL", "https://github.com/yrd-news/yrd-news")
USER_AGENT = f"yrd-news/0.1 (+{YRD_CONTACT_URL}; research crawler)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# The item pipelines are synchronous, so the items of one response are processed one after
# another whatever this says; Scrapy starts this many worker tasks for every response (100 by
# default: about 2.5 ms of CPU per page in replay).
CONCURRENT_ITEMS = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# A request that fails after its retries is one warning line from crawler/outcomes.py.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
# An article page is never tens of megabytes; a response that is has gone wrong. The
# limit holds for the body as downloaded and as decompressed, live and in replay.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Real pages compress 3-9 times with gzip, 13 at most with brotli; a body that expands
# further than this (past 1 MiB) is a decompression bomb.
YRD_MAX_DECOMPRESSION_RATIO = 100
COOKIES_ENABLED = False
# Scrapy's check of the callback's source for a `return value` in a generator re-parses that
# source for every response (its cache holds bound methods weakly, and each request has its
# own); the spiders' callbacks are plain generators.
WARN_ON_GENERATOR_RETURN_VALUE = False
TELNETCONSOLE_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.remote_control.RemoteControl": None,
    # Every crawler reports to a crawl run (crawler/runs.py): its own under `scrapy crawl`.
    "crawler.crawl.RunRecorder": 500,
}

DOWNLOADER_MIDDLEWARES = {
    # Scrapy 2.19's own lets through requests that wait for robots.txt (crawler/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsTxtMiddleware": 100,
    # Below retries, redirects and decompression: counts each request's final outcome.
    "crawler.outcomes.OutcomesMiddleware": 540,
    # Scrapy's, with the decompression ratio bounded and rejections counted.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.limits.DecompressionMiddleware": 590,
    # Scrapy's, with redirect loops and off-site redirects stopped and counted.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.outcomes.RedirectMiddleware": 600,
    # Closest to the network, so the archive holds the bytes as sent (still compressed,
    # before redirects are followed), like HttpCacheMiddleware at 900.
    "crawler.archive.ArchiveMiddleware": 950,
}

# Incremental crawls (crawler/incremental.py): discovery pages are fetched conditionally,
# their ETag / Last-Modified kept per URL by Scrapy's HTTP cache (`yrdnews crawl` puts it in
# <data dir>/httpcache; it is off in replay); duplicates are filtered within a process only.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.incremental.DiscoveryCachePolicy"
HTTPCACHE_STORAGE = "scrapy.extensions.httpcache.FilesystemCacheStorage"
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_EXPIRATION_SECS = 0  # kept until replaced: every use is revalidated
DUPEFILTER_CLASS = "crawler.incremental.RunDupeFilter"
# Start requests wait in memory, not in the job directory: every run (a resumed one too) makes
# them again from the spider's start(), and a disk queue costs a pickled request and a queue
# directory made and removed per request (Scrapy takes start requests one at a time).
SCHEDULER_START_DISK_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Request known article URLs again (`yrdnews crawl --refresh`).
YRD_REFRESH = False
# A spider's counters are written to its crawl_run_sources row this often (seconds), so a
# killed run keeps its counts up to the last write.
YRD_CHECKPOINT_INTERVAL = 10
# How long a crawl stopped by SIGTERM or SIGINT may take to finish gracefully (seconds)
# before it is stopped at once, its counters written and its run marked interrupted.
YRD_STOP_TIMEOUT = 10

# The processing chain (checks, figures, entities: pipelines/chain.py), then the store.
ITEM_PIPELINES = {
    "pipelines.chain.ChainPipeline": 100,
    "pipelines.store.StorePipeline": 900,
}

# Where things go. `yrdnews crawl --db/--data-dir` set these.
YRD_DATA_DIR = "data"
YRD_DB_PATH = "data/yrdnews.db"
# A WARC file (or several) to answer every request from instead of the network.
YRD_REPLAY = []
YRD_SINCE = None
YRD_MAX_PAGES = 5
# Set by `yrdnews crawl` so that every spider of one invocation reports to one run row.
YRD_CRAWL_RUN_ID = None
# Bodies shorter than this are navigation or captions, not articles.
YRD_MIN_BODY_CHARS = 80
# Articles whose relevance score (pipelines/relevance, docs/stories.md) is below this are stored
# and flagged (`relevant` = 0), left out of the default Datasette queries; `yrdnews reextract`
# applies a changed threshold to stored articles.
YRD_RELEVANCE_THRESHOLD = 0.5

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
