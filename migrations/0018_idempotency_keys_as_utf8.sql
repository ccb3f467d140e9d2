-- Until this release the API stored an Idempotency-Key header's bytes read as Latin-1: "灯台🌅"
-- was kept as "ç¯å°ð". It now reads the header as UTF-8 text, so a retry of such a request
-- would no longer find its generation. This rewrites those keys to the text the client sent:
-- only keys that came over HTTP (an HTTP generation has an owner; a queue producer's has none and
-- its key was always real text), made of U+0001-U+00FF with one above U+007F, whose bytes are
-- valid UTF-8 (the pattern below: no overlong forms, no surrogates, nothing above U+10FFFF) and
-- hold no U+FFFD, and only when the owner has no generation under the decoded key already. The
-- bytes are rebuilt with ascii()/decode() rather than convert_to(…, 'LATIN1'), which PGlite lacks.
-- GenerationRequested events keep the key as they recorded it.
UPDATE "genledger"."generations" AS g
SET idempotency_key = d.decoded
FROM (
  SELECT c.id,
         CASE
           WHEN c.idempotency_key ~ '^(?:[\u0001-\u007f]|[\u00c2-\u00df][\u0080-\u00bf]|\u00e0[\u00a0-\u00bf][\u0080-\u00bf]|[\u00e1-\u00ec\u00ee\u00ef][\u0080-\u00bf]{2}|\u00ed[\u0080-\u009f][\u0080-\u00bf]|\u00f0[\u0090-\u00bf][\u0080-\u00bf]{2}|[\u00f1-\u00f3][\u0080-\u00bf]{3}|\u00f4[\u0080-\u008f][\u0080-\u00bf]{2})*$'
           THEN convert_from(
             decode(
               (SELECT string_agg(lpad(to_hex(ascii(t.ch)), 2, '0'), '' ORDER BY t.n)
                FROM regexp_split_to_table(c.idempotency_key, '') WITH ORDINALITY AS t(ch, n)),
               'hex'),
             'UTF8')
         END AS decoded
  FROM "genledger"."generations" AS c
  WHERE c.api_key_id IS NOT NULL
    AND c.idempotency_key ~ '[\u0080-\u00ff]'
    AND c.idempotency_key !~ '[^\u0001-\u00ff]'
) AS d
WHERE g.id = d.id
  AND d.decoded IS NOT NULL
  AND strpos(d.decoded, chr(65533)) = 0
  AND NOT EXISTS (
    SELECT 1 FROM "genledger"."generations" AS o
    WHERE o.api_key_id = g.api_key_id AND o.idempotency_key = d.decoded
  );
