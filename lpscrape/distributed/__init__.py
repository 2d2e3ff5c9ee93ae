"""Past one machine: crawlers on several hosts share one frontier in Redis (scrapy-redis) and
hand their captures to one archive writer through a Redis stream."""
