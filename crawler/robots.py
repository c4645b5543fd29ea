"""robots.txt that binds every request, not only the first ones.

Scrapy 2.19's RobotsTxtMiddleware makes every request that arrives while a host's
robots.txt is downloading await one shared Deferred. Awaiting a Deferred consumes its
result, so the first waiter gets the parser and every later one gets None, which the
middleware reads as "no robots.txt": those requests are let through even where robots.txt
forbids them (seen with three start URLs on one host; scrapy/scrapy PR #6802 introduced
the await and noted the path had no test). Here each waiter gets its own copy.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        copy: Deferred[RobotParser | None] = Deferred()

        def relay(parser: RobotParser | None) -> RobotParser | None:
            copy.callback(parser)
            return parser  # left in place for the next waiter

        pending.addCallback(relay)
        return await maybe_deferred_to_future(copy)
