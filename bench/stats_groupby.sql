-- The monthly series (city-wide, 24 months) computed straight from
-- `reports` with GROUP BY: what the rollup saves us from. :from and :to are
-- YYYYMM integers; :tz is the city's time zone.
WITH cohort AS (
  SELECT received_month AS month,
         COUNT(*) FILTER (WHERE status <> 'duplicate')                                   AS received,
         COUNT(*) FILTER (WHERE status <> 'duplicate' AND handled_at IS NOT NULL)        AS handled,
         COUNT(*) FILTER (WHERE status <> 'duplicate' AND handled_at IS NOT NULL
                            AND (due_at IS NULL OR handled_at <= due_at))                AS handled_on_time,
         COUNT(*) FILTER (WHERE status = 'rejected')                                     AS rejected,
         COUNT(*) FILTER (WHERE status = 'duplicate')                                    AS duplicates,
         AVG(rating) FILTER (WHERE status <> 'duplicate')                                AS mean_rating,
         COUNT(rating) FILTER (WHERE status <> 'duplicate')                              AS rating_count
    FROM reports
   WHERE received_month <= :to
   GROUP BY received_month
), handled AS (
  SELECT handled_month AS month,
         COUNT(*) AS handled_in_month,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY floor(extract(epoch FROM handled_at - created_at) / 3600)) AS median_h,
         percentile_disc(0.9) WITHIN GROUP (ORDER BY floor(extract(epoch FROM handled_at - created_at) / 3600)) AS p90_h
    FROM reports
   WHERE handled_month IS NOT NULL AND handled_month <= :to AND status <> 'duplicate'
   GROUP BY handled_month
), due AS (
  SELECT (extract(year FROM due_at AT TIME ZONE :'tz') * 100 + extract(month FROM due_at AT TIME ZONE :'tz'))::int AS month,
         COUNT(*) AS due_count
    FROM reports
   WHERE due_at IS NOT NULL AND status <> 'duplicate'
   GROUP BY 1
), series AS (
  SELECT c.month, c.received, c.handled, c.handled_on_time, c.rejected, c.duplicates,
         c.mean_rating, c.rating_count, COALESCE(h.handled_in_month, 0) AS handled_in_month,
         h.median_h, h.p90_h, COALESCE(d.due_count, 0) AS due_count,
         SUM(c.received) OVER w AS cum_received,
         SUM(COALESCE(h.handled_in_month, 0)) OVER w AS cum_handled
    FROM cohort c
    LEFT JOIN handled h USING (month)
    LEFT JOIN due d USING (month)
  WINDOW w AS (ORDER BY c.month)
)
SELECT month, received, handled, handled_in_month, handled_on_time, rejected, duplicates,
       round(handled::numeric / NULLIF(received, 0), 4)            AS cohort_rate,
       round(cum_handled::numeric / NULLIF(cum_received, 0), 4)    AS cumulative_rate,
       round(handled_on_time::numeric / NULLIF(handled, 0), 4)     AS on_time_rate,
       median_h, p90_h, round(mean_rating, 4) AS mean_rating, rating_count,
       cum_received - cum_handled                                   AS open_at_end
  FROM series
 WHERE month BETWEEN :from AND :to
 ORDER BY month;
