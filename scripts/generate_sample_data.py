#!/usr/bin/env python3
"""Generate the bundled sample post-mortems in ``data/``.

Writes ~100 post-mortems (2025-03 .. 2026-11) in the three shapes the loader
accepts: the template filled in (``.txt`` / ``.md``, tab rows, pipe tables,
``Label: value`` bullets, Google-Docs exports), Markdown with YAML front matter,
and ``.yaml`` / ``.yml``. The data carries the trends the dashboard shows
(time to detect improving for Payments and Platform, a bad 2026 Q1, heavy-tailed
durations, late and overdue action items), a known set of deliberate gaps
for the data-quality view (listed by ``--list-gaps`` and in the summary), and
designed repeats (REPEATS): the ground truth for the recurrence detector,
written to ``--truth`` (``scripts/sample_repeats.json``), never into ``--out``.

Deterministic: ``random.Random(20251)``, and ``random.Random(20252)`` for the
designed repeats; two runs give identical files. Only files matching
``YYYY-MM-DD-<slug>.(md|markdown|txt|yaml|yml)`` in ``--out`` are deleted before
writing. Standard library only (PyYAML, when installed, is used to double-check
the YAML it writes).

    python scripts/generate_sample_data.py [--out data/] [--truth scripts/sample_repeats.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from random import Random
from statistics import median
from zoneinfo import ZoneInfo

SEED = 20251
REPEAT_SEED = 20252  # the designed repeats' own stream (REPEATS)
TODAY = date(2026, 11, 26)
FIRST_DAY = date(2025, 3, 1)
LAST_DAY = date(2026, 11, 20)
TRUTH = Path(__file__).resolve().parent / "sample_repeats.json"
GENERATED_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.(?:md|markdown|txt|yaml|yml)$")
UTC = timezone.utc
DEADLINE_HOURS = {"P0": 48, "P1": 14 * 24, "P2": 28 * 24}

# ---------------------------------------------------------------------------
# People and teams
# ---------------------------------------------------------------------------

TEAMS = {
    # team: (ticket prefix, members (first is the lead), usual collaborators, timezone habits)
    "Payments": ("PAY", ["Hannah Kim", "Maya Goldberg", "Luis Ortega", "Tom Becker"],
                 ["Platform", "Patient Apps", "Data"], [("PT", 6), ("America/Los_Angeles", 3), ("UTC", 2)]),
    "Scheduling": ("SCHED", ["Priya Raman", "Ben Carter", "Sofia Rossi"],
                   ["Messaging", "Platform", "Provider Apps"], [("ET", 4), ("PT", 3), ("UTC", 2)]),
    "Patient Apps": ("PAPP", ["Kenji Watanabe", "Amara Okafor", "Lucas Meyer"],
                     ["Identity", "Platform", "Messaging"], [("PT", 4), ("CE", 3), ("America/Los_Angeles", 3)]),
    "Provider Apps": ("PROV", ["Elena Petrova", "Sam Whitaker", "Nadia Haddad"],
                      ["Platform", "Scheduling", "Identity"], [("ET", 5), ("PT", 3), ("UTC", 2)]),
    "Platform": ("PLAT", ["Jonas Weber", "Aisha Bello", "Marcus Lee", "Ravi Shankar"],
                 ["Payments", "Data", "Identity", "Scheduling"], [("UTC", 4), ("Europe/Berlin", 2), ("PT", 2), ("CE", 1)]),
    "Data": ("DATA", ["Ingrid Larsen", "Omar Farouk", "Chen Wei"],
             ["Platform", "Provider Apps"], [("Europe/Berlin", 4), ("CE", 4), ("UTC", 2)]),
    "Identity": ("IDN", ["Grace Liu", "Daniel Novak", "Fatima Zahra"],
                 ["Platform", "Patient Apps", "Provider Apps"], [("ET", 5), ("UTC", 3), ("PT", 2)]),
    "Messaging": ("MSG", ["Arjun Mehta", "Chloe Martin", "Diego Alvarez"],
                  ["Scheduling", "Platform", "Patient Apps"], [("IST", 6), ("UTC", 2), ("PT", 2)]),
}
LEADERSHIP = ["Rachel Stein", "Michael Osei", "Laura Chen", "Victor Hughes", "Noor Aziz"]
TEAM_WEIGHTS = {"Payments": 17, "Platform": 17, "Scheduling": 12, "Patient Apps": 11,
                "Provider Apps": 11, "Identity": 10, "Messaging": 10, "Data": 9}
TREND_TEAMS = ("Payments", "Platform")  # time to detect improves from ~40 to ~8 min

# ---------------------------------------------------------------------------
# Incident scenarios: "== Team" then blocks of
#   slug | title | apps
#   I: impact  T: trigger  S: detection signal  C: cause  F: fix  W: why (repeat)  A: action (repeat)
#   R: <slug> [<days>]  repeats_of: the same failure as scenario <slug> (see REPEATS)
# ---------------------------------------------------------------------------

SCENARIOS = """
== Payments
checkout-latency | Checkout latency over 20 seconds for copay payments | Patient Web, Patient iOS, Patient Android
I: Patients paying copays at check-in waited 20 seconds or more for the payment spinner and many gave up. Front desks fell back to taking cards over the phone.
T: payments-api release 2025.14 added a synchronous fraud-score call to checkout
S: checkout p99 latency alert fired in #payments-alerts
C: the fraud-score vendor call had no timeout and sat on the request path
F: fraud scoring moved behind a 500 ms timeout with an async fallback
W: The fraud-score integration was added to the synchronous checkout path without a timeout.
W: The release load test mocked the vendor with 20 ms responses, so the slowdown never showed up before production.
A: Add a 500 ms timeout and circuit breaker to the fraud-score client
A: Add real vendor latency to the checkout load-test profile
A: Alert on checkout p95 above 3 seconds

card-auth-timeouts | Card authorizations failing with processor timeouts | Patient Web, Patient iOS, Provider Web
I: About a third of card authorizations at check-in and in the patient portal failed with a generic "payment could not be processed" error. Front desks retried cards several times, which left pending holds on some patients' cards.
T: the card processor moved its API to new IP addresses and our egress proxy kept stale connections open
S: payment failure-rate monitor crossed 15%
C: pooled connections to the old processor addresses hung until the 30 s timeout
F: egress proxy pool recycled and a 5 minute maximum connection age set
W: Our egress proxy kept connections alive indefinitely, so it never picked up the processor's new addresses.
W: We had no synthetic transaction against the processor, only passive error-rate alerts.
A: Set a maximum connection age on the payments egress proxy
A: Add a synthetic card authorization check every minute
A: Subscribe payments on-call to the processor status page

duplicate-copay-charges | Duplicate copay charges after a mobile retry storm | Patient iOS, Patient Android
I: Some patients were charged their copay two or three times when the mobile apps retried a slow payment request. Support refunded every duplicate and the affected clinics were told the same day.
T: a slow payments DB replica pushed charge requests past the mobile client's 10 s timeout
S: support escalated several tickets about double charges
C: the charge endpoint was not idempotent and the mobile apps retried on timeout
F: idempotency keys enforced on the charge endpoint and duplicates refunded
W: The charge endpoint accepted retries without an idempotency key.
W: The mobile apps retried non-idempotent POST requests automatically.
A: Require idempotency keys on all payment POST endpoints
A: Stop automatic retries of payment requests in the mobile apps
A: Add a daily duplicate-charge detection report

refunds-stuck-pending | Refunds stuck in pending for two days | Provider Web
I: Refunds issued by clinic staff stayed in "pending" and never reached patients' cards. Clinics fielded calls from patients asking where their money was.
T: a refund-worker deploy changed the queue name in the config of one region only
S: a clinic manager emailed support about refunds not arriving
C: refund jobs were published to a queue with no consumers
F: queue name corrected and the stuck refund jobs replayed
W: Queue names were duplicated in two config files that drifted apart.
W: Nothing alerted on queue depth for the refunds queue.
A: Alert on refunds queue depth and oldest message age
A: Move queue names into one shared config file
A: Add a refund end-to-end check to the post-deploy smoke tests

invoice-pdf-failures | Patient invoice PDFs failing to generate | Patient Web, Provider Web
I: Patients and front desk staff got an error when opening invoices, and monthly statements were not emailed for one billing run.
T: a base image update removed a font package the PDF renderer needed
S: error-rate alert on the invoice-renderer service
C: the PDF renderer crashed when the font was missing
F: font package pinned in the image and the statement run re-triggered
W: The renderer's system dependencies were not declared anywhere, so the base image update silently dropped one.
A: Pin system packages for the invoice renderer image
A: Add a PDF render smoke test to the image build
A: Re-send the failed monthly statements

payment-webhook-backlog | Payment webhook backlog delayed receipts and balances | Patient Web, Patient iOS, Patient Android, Provider Web
I: Receipts and updated balances lagged real payments by up to four hours, so front desks saw outstanding balances that patients had already paid.
T: a burst of month-end payment events hit a single-threaded webhook consumer
S: an engineer noticed the webhook lag dashboard during an unrelated deploy
C: the webhook consumer processed events serially and could not keep up
F: consumer scaled out to 8 partitions and the backlog drained
W: The webhook consumer had never been load tested at month-end volume.
W: There was a lag dashboard but no alert on it.
A: Alert on webhook consumer lag above 10 minutes
A: Partition the webhook consumer by clinic
A: Add month-end volume to the capacity plan

autopay-skipped | Payment plan autopay skipped for one billing cycle | Patient Web
I: Scheduled payment-plan charges did not run on the 1st of the month for a subset of patients. Nobody was overcharged, but clinics saw a dip in collections.
T: the autopay cron was migrated to the new scheduler with a UTC schedule
S: finance noticed collections were lower than forecast
C: the migrated job ran at 00:00 UTC with a date filter that excluded plans due that day in US timezones
F: job rerun for the missed plans and the schedule moved to clinic local time
W: The scheduler migration changed the job's timezone and nobody reviewed the date filter.
W: Nothing checked that the number of autopay charges matched the number of plans due.
A: Add a reconciliation check between due plans and autopay charges
A: Review all migrated cron jobs for timezone assumptions
A: Notify patients who were charged twice within one week

copay-estimates-zero | Copay estimates showing $0 for insured patients | Patient Web, Patient iOS, Patient Android
I: Insured patients saw a $0 copay estimate when booking and were then asked to pay at the front desk. Several clinics complained about confused and upset patients.
T: the eligibility vendor changed a field in their response from a number to a string
S: clinic complaints routed to Payments by support
C: our parser treated the unexpected string as missing and defaulted the copay to zero
F: parser accepts both formats and a missing copay now shows as "estimate unavailable"
W: Defaulting to zero hid the parsing failure instead of surfacing it.
W: The vendor contract tests did not run against their sandbox.
A: Show "estimate unavailable" instead of $0 when data is missing
A: Run vendor contract tests nightly against the eligibility sandbox
A: Alert when the share of $0 estimates jumps

superbill-export-failing | Superbill export failing for large clinics | Provider Web
I: Billing staff at large clinics could not export superbills for the month, which delayed their insurance submissions by about a day.
T: an ORM upgrade made the export query load all line items into memory
S: customer success escalated three clinics that could not export
C: the export worker ran out of memory for clinics with more than 20k line items
F: export rewritten to stream rows and the affected exports re-run
W: The ORM upgrade changed lazy-loading defaults and nobody tested exports at large-clinic sizes.
A: Stream superbill exports instead of building them in memory
A: Add a large-clinic fixture to the export tests
A: Alert on export worker OOM kills

clinic-payouts-delayed | Clinic payouts delayed by one business day | Provider Web
I: Daily payouts to clinics' bank accounts went out a day late. Clinics with tight cash flow called their account managers.
T: the payout batch job failed on a bank-holiday calendar lookup
S: the payout job failure email was read the next morning
C: the bank-holiday calendar for the new year had not been loaded
F: holiday calendar loaded and the payout batch re-submitted
W: Loading the holiday calendar was a manual yearly task with no owner.
W: Payout job failures only sent an email, never a page.
A: Page payments on-call when the payout batch fails
A: Automate loading of bank-holiday calendars
A: Document the payout recovery procedure

receipt-rounding-cents | Receipt totals off by one cent after a rounding change | Patient Web, Provider Web
I: Receipts for split payments showed totals one cent off from the amount charged, which broke several clinics' reconciliation reports.
T: a refactor switched receipt math from integer cents to floats
S: a clinic bookkeeper reported reconciliation differences
C: float rounding in the receipt service disagreed with the ledger
F: receipt math moved back to integer cents and receipts regenerated
W: The refactor was reviewed by engineers outside Payments who did not know the integer-cents rule.
A: Add a lint rule banning floats in money code
A: Add property tests comparing receipts with ledger totals

saved-cards-missing | Saved cards missing from patient wallets | Patient Web, Patient iOS, Patient Android
I: Patients could not see their saved cards and had to re-enter card details. Autopay for some payment plans failed while the cards were missing.
T: a migration to the new vault schema skipped cards with a legacy token prefix
S: spike in "add card" events and support tickets
C: the migration filter excluded legacy tokens
F: legacy tokens backfilled into the new vault table
W: The migration was verified by row counts on a sample of clinics only.
A: Verify vault migrations by full token reconciliation
A: Retry failed autopay charges for the affected plans
A: Add a dashboard of wallet card counts per clinic

payments-db-pool-exhaustion | Payments DB connection pool exhausted during month-end billing | Patient Web, Provider Web, CWS APIs
I: Payment pages and the payments CWS API timed out for most clinics during the month-end statement run.
T: the statement run started with 40 workers instead of 8 after a config change
S: payments API error-rate page
C: statement workers held every connection in the shared pool
F: statement workers throttled and given their own connection pool
W: Batch jobs and user traffic shared one connection pool.
W: The worker-count change was merged without a capacity review.
A: Give batch jobs a separate connection pool
A: Cap statement workers in config validation
A: Alert on connection pool saturation

apple-pay-ios-broken | Apple Pay button broken in Patient iOS 6.3 | Patient iOS
I: The Apple Pay button did nothing when tapped in Patient iOS 6.3, so iOS patients had to type in their card details to pay.
T: the Apple Pay merchant identity certificate expired the day 6.3 shipped
S: app store reviews and support tickets mentioning Apple Pay
C: payment sessions failed validation with the expired merchant certificate
F: certificate renewed server-side so no app update was needed
W: Merchant certificate expiry was tracked in one engineer's personal calendar.
A: Track the Apple Pay merchant certificate in the cert expiry monitor
A: Add Apple Pay to the iOS release checklist

tax-service-outage | Sales tax service outage blocked retail orders | Patient Web, Provider Web
I: Clinics selling retail products could not complete orders because every tax calculation call failed.
T: the third-party tax API had a regional outage
S: error-rate alert on the orders service
C: orders required a live tax quote with no fallback
F: fallback to cached tax rates enabled behind a flag
W: The tax API was a hard dependency of every order.
A: Add a cached tax-rate fallback for tax API outages
A: Add the tax API to the vendor status monitor

chargeback-sync-failing | Chargeback sync silently failing for two weeks | Provider Web
I: New chargebacks were not shown to clinics for two weeks, and several clinics missed the window to dispute them.
T: the processor retired the chargeback API version we used
S: a clinic asked why chargebacks on their bank statement were missing in the app
C: the sync job got 410 responses and logged them at debug level
F: sync job moved to the current API version and backfilled
W: Sync errors were logged at debug level and the job still reported success.
W: The processor's deprecation notice went to an unmonitored mailbox.
A: Fail the chargeback sync job loudly on non-2xx responses
A: Route processor deprecation notices to the payments team
A: Help affected clinics file late disputes

payment-links-expired | SMS payment links expiring immediately | Patient Web
I: Payment links sent by SMS showed "link expired" as soon as patients opened them, so balances went unpaid for the day.
T: a settings refactor changed the link expiry from days to seconds
S: support noticed a pattern in chat requests
C: the link TTL was read as seconds instead of days
F: TTL unit fixed and links re-sent to patients with open balances
W: The TTL setting had no unit in its name.
A: Rename duration settings to include their unit
A: Add an end-to-end test that opens a fresh payment link

== Platform
cws-api-5xx-spike | CWS API 5xx spike after a gateway config push | CWS APIs, Provider Web
I: Roughly 30% of CWS API requests failed with 502/503 for partner integrations and the provider web app. EHR partners saw sync failures and some clinics could not load schedules.
T: an API gateway config push removed the upstream keepalive settings
S: CWS API 5xx-rate alert paged platform on-call
C: the gateway opened a new upstream connection per request and exhausted ephemeral ports
F: gateway config rolled back and keepalive restored
W: Gateway config pushes skip the canary stage that code deploys use.
W: The config diff was large and the keepalive removal was easy to miss in review.
A: Canary gateway config changes like code deploys
A: Add a config lint rule requiring upstream keepalive
A: Alert on ephemeral port usage on gateway nodes

postgres-primary-failover | Unplanned Postgres primary failover on the core cluster | All
I: All apps returned errors or hung while the core Postgres cluster failed over. Some writes made during the failover had to be replayed.
T: the primary's storage volume hit its IOPS limit during a vacuum
S: database availability alert
C: IOPS throttling made the primary miss health checks and the cluster failed over
F: failover completed and the volume IOPS limit raised
W: The volume's IOPS limit was sized two years ago for a third of today's load.
W: Autovacuum on the largest table was tuned for a much smaller table.
A: Raise IOPS limits for the core cluster volumes
A: Tune autovacuum for the largest tables
A: Alert on IOPS throttling before it causes a failover

k8s-node-pool-exhaustion | Kubernetes node pool exhaustion blocked autoscaling | CWS APIs, Patient Web, Provider Web
I: Services could not scale up during the morning peak and latency rose across the web apps and APIs.
T: a new batch workload was scheduled onto the general node pool
S: pending-pods alert
C: the batch workload had no node selector and took the general pool's capacity
F: batch workload moved to its own node pool and the max size raised
W: There was no quota or separate pool for batch workloads.
A: Create a dedicated node pool for batch jobs
A: Alert on node pool utilization above 85%
A: Require resource requests on all workloads

expired-tls-cert-api | Expired TLS certificate on the public API endpoint | All
I: All apps and CWS API clients failed TLS handshakes against the public API until the certificate was renewed.
T: the public API certificate expired
S: synthetic check failure and a flood of support tickets
C: the auto-renewal job had been failing since a DNS provider API token expired
F: certificate renewed by hand and the DNS API token replaced
W: Certificate renewal failures were logged but never alerted on.
W: The DNS provider token had no owner and no expiry tracking.
A: Alert on certificates expiring within 21 days
A: Alert on failed certificate renewal jobs
A: Track third-party API tokens and their expiry in the secrets inventory

internal-dns-change | Internal DNS change broke service discovery | CWS APIs, Provider Web, Patient Web
I: Several internal services could not resolve each other and requests failed intermittently across the web apps and APIs.
T: a Terraform change removed a search domain from the resolver config
S: error-rate alerts from several services at once
C: services calling each other by short hostnames stopped resolving
F: resolver config restored and short hostnames replaced with FQDNs
W: The Terraform plan output did not make the search domain removal obvious.
A: Use FQDNs for all internal service calls
A: Add a DNS resolution check to the post-apply checks
A: Require platform review for resolver config changes

redis-evictions-logout | Redis evictions logged users out | Patient Web, Provider Web, Patient iOS, Provider iOS
I: Patients and providers were logged out repeatedly and some lost unsaved work.
T: a feature-flag cache key grew without expiry and filled Redis memory
S: support tickets about repeated logouts
C: Redis evicted session keys under memory pressure
F: flag cache keys given a TTL and sessions moved to a dedicated Redis
W: Sessions and caches shared one Redis with an allkeys eviction policy.
A: Move sessions to a dedicated Redis with noeviction
A: Alert on Redis evictions
A: Set TTLs on all cache keys

rate-limiter-misconfig | Rate limiter misconfiguration throttled CWS API partners | CWS APIs
I: EHR partners integrating through the CWS APIs got 429 errors and their syncs fell hours behind.
T: a rate-limit change meant for one noisy client was applied to the default tier
S: partner escalation in the integrations channel
C: the default tier limit was set to 10 requests per minute
F: default tier restored and the client-specific limit applied correctly
W: Rate-limit config was edited by hand in production.
A: Manage rate-limit config through code review
A: Alert on 429 rate per partner

bad-flag-config | Bad feature-flag config pushed to all regions | Patient Web, Provider Web, Patient iOS, Patient Android
I: A flag meant for internal testers turned on an unfinished checkout flow for all users.
T: a flag targeting rule was saved with an empty segment
S: a product manager noticed the new flow in production
C: the flag service treats an empty segment as all users
F: flag turned off and empty segments rejected by the flag service
W: The flag service had no guard against empty targeting rules.
A: Reject empty targeting segments in the flag service
A: Require a second reviewer for flags targeting production

lb-health-check-flap | Load balancer health checks flapping in us-west-2 | CWS APIs, Provider Web
I: Requests failed intermittently while backends were taken in and out of the load balancer.
T: a refactor made the health check endpoint query the database
S: intermittent 503 alert
C: slow DB queries made health checks time out under load
F: health check made shallow and timeouts raised
W: Deep health checks tied load balancer membership to database latency.
A: Make load balancer health checks shallow
A: Write health check guidelines for services

cdn-purge-origin-overload | CDN cache purge overloaded the origin | Patient Web, Provider Web
I: The web apps were slow or failed to load after a full CDN purge sent all traffic to the origin.
T: a full CDN purge was run instead of a path purge
S: origin CPU alert and web error-rate alert
C: all traffic hit the origin at once with cold caches
F: origin scaled out and the purge tool limited to paths
W: The purge tool defaulted to purging everything.
A: Make path purge the default in the purge tool
A: Add origin shielding to the CDN config

logging-disk-full | Logging cluster disk full left log alerts blind | All
I: Log-based alerts stopped firing and logs were lost for several hours. There was no customer-facing outage, but another incident that night was detected late.
T: a debug log level left on in the messaging service tripled log volume
S: an engineer noticed missing logs while debugging
C: the logging cluster disks filled up and ingestion stopped
F: debug logging disabled and old indices deleted
W: There was no alert on logging cluster disk usage.
W: Debug log levels could be enabled in production with no expiry.
A: Alert on logging cluster disk usage above 75%
A: Auto-expire debug log levels after 2 hours
A: Add an ingestion-stopped heartbeat alert

autoscaler-scale-down | Autoscaler scaled API pods to minimum during peak | CWS APIs, Patient Web, Provider Web
I: API latency spiked and some requests timed out during the Monday morning peak.
T: a metrics adapter upgrade renamed the CPU metric the autoscaler used
S: API latency alert
C: the autoscaler saw no metrics and scaled down to its minimum
F: metric name fixed and replicas scaled up by hand
W: The autoscaler silently scales down when its metric disappears.
A: Alert when the autoscaler cannot read metrics
A: Raise minimum API replicas during business hours

mesh-cert-rotation | Service mesh certificate rotation broke mTLS | All
I: Service-to-service calls failed across all products until the old root certificate was trusted again.
T: the mesh root certificate was rotated before the new trust bundle was distributed
S: error-rate alerts from every service
C: sidecars rejected certificates signed by the new root
F: old root re-added to the trust bundle and the rotation redone in two steps
W: The rotation runbook skipped the trust bundle distribution step.
A: Rewrite the mesh CA rotation runbook as a two-phase rollout
A: Rehearse CA rotation in staging every quarter

object-storage-latency | Object storage latency slowed document uploads | Provider Web, Patient Web, Patient iOS
I: Uploads of insurance cards and documents took over a minute or failed for patients and front desk staff.
T: the cloud provider had elevated object storage latency in our region
S: upload latency alert
C: our upload path had no retry and a 30 s timeout
F: the provider recovered and retries with backoff were added to uploads
W: Uploads were synchronous and had no retry.
A: Add retries with backoff to document uploads
A: Move uploads to presigned direct-to-storage URLs

ci-runner-outage | CI runner outage blocked a hotfix deploy | Provider Web
I: A hotfix for a provider web bug waited hours because CI runners were down, which prolonged the bug's impact on clinics.
T: the CI runner autoscaling group hit an instance quota
S: engineers reported stuck pipelines
C: the account instance quota was reached after a spot capacity shift
F: quota raised and runners restarted
W: There was no break-glass path to deploy without CI.
A: Create a documented break-glass deploy path
A: Alert on CI queue time

cloud-network-degradation | Cloud provider network degradation in us-east-1 | All
I: Cross-zone network errors caused intermittent failures across all apps and the CWS APIs.
T: the cloud provider had a network event in one availability zone
S: error-rate alerts across services
C: traffic to the impaired zone was not drained automatically
F: zone drained from the load balancers by hand
W: We had no automated zone evacuation.
A: Automate draining of an impaired availability zone
A: Run a zone-failure game day

db-credential-rotation | Database credential rotation failed halfway | CWS APIs, Provider Web, Patient Web
I: Some services lost database access after credentials were rotated, causing errors on schedule and chart pages.
T: the rotation job changed the database password before all services had reloaded secrets
S: database authentication error alerts
C: services cached the old credentials and did not reload them
F: old credentials restored and services restarted with the new ones
W: The rotation did not use dual credentials during the switch.
A: Use dual credentials during database password rotation
A: Make services reload secrets without a restart

== Scheduling
appointment-reminders-delayed | Appointment reminders delayed by up to 3 hours | Patient iOS, Patient Android
I: Appointment reminder texts and push notifications went out up to three hours late, and some patients got them after their appointment. Clinics reported more no-shows that morning.
T: a bulk import from a new clinic group backed up the reminder scheduler's queue
S: reminder send-lag alert
C: bulk import jobs and reminder jobs shared one queue with no priority
F: reminders moved to a priority queue and the backlog drained
W: Bulk imports and reminders shared one worker queue.
W: The send-lag alert threshold was 2 hours.
A: Give reminders a dedicated priority queue
A: Lower the reminder send-lag alert threshold to 15 minutes
A: Rate-limit bulk imports per clinic group

double-booking-sync | Double-booked appointments after calendar sync change | Provider Web, Provider iOS
I: Providers at several clinics found two patients booked into the same slot. Front desks had to call patients to reschedule.
T: a calendar sync change removed the slot lock during writes
S: clinic managers reported double bookings
C: concurrent bookings raced without the lock
F: slot lock restored and a list of conflicts sent to each clinic
W: The lock was removed in a performance change and no test covered concurrent booking.
A: Add a concurrency test for booking the same slot
A: Add a DB uniqueness constraint on provider slots
A: Send each affected clinic a list of conflicting bookings

booking-widget-500s | Online booking widget returning 500s | Patient Web
I: Patients could not book appointments through clinic websites for most of a morning.
T: an unindexed query was added to slot search
S: error-rate alert on the booking widget
C: slot search timed out for clinics with many providers
F: index added and query rewritten
W: The query plan was only checked on a small staging dataset.
A: Run slot search performance tests on a production-sized dataset
A: Alert on booking widget error rate per clinic

waitlist-notifications-missing | Waitlist notifications not sent | Patient iOS, Patient Android, Patient Web
I: Patients on waitlists were not told when slots opened, so freed slots went unused at many clinics.
T: a refactor renamed the cancellation event that triggers waitlist matching
S: a clinic asked why waitlist fills had dropped to zero
C: the waitlist consumer stopped receiving the renamed event
F: consumer updated and missed openings re-evaluated
W: Event renames were not checked against their consumers.
W: No metric tracked waitlist fills.
A: Add contract tests for cancellation events
A: Alert when waitlist fills drop to zero for a day

recurring-appointments-dst | Recurring appointments shifted by one hour after the DST change | Provider Web, Patient Web, Patient iOS, Patient Android
I: Recurring appointments created before the DST change showed one hour off, and some patients arrived at the wrong time.
T: recurring series were stored as UTC times instead of local wall time
S: front desks reported patients arriving an hour early
C: expanding the series in UTC shifted them by an hour after the change
F: series stored in clinic local time and affected series recomputed
W: The recurrence logic was never tested across a DST transition.
A: Store recurring series in clinic local time
A: Add DST transition tests for recurrence expansion
A: Notify patients whose appointments moved

provider-availability-missing | Provider availability not showing in online booking | Patient Web, Provider Web
I: Patients saw "no availability" for many providers whose calendars were open.
T: the availability cache warmer crashed after a deploy
S: booking conversion drop alert
C: the cache was empty and the fallback query was disabled
F: cache warmer fixed and the fallback query re-enabled
W: The fallback was disabled months ago for a load issue and never turned back on.
A: Alert when the availability cache is empty
A: Re-enable and load test the availability fallback

telehealth-links-missing | Telehealth links missing from appointment confirmations | Patient iOS, Patient Android, Patient Web
I: Patients booked for video visits got confirmations with no join link and called clinics to ask how to join.
T: the video vendor's room creation API started returning a new response format
S: support tickets from patients
C: room creation failed and confirmations were sent without a link
F: parser updated and links re-sent for upcoming appointments
W: Confirmations were sent even when room creation failed.
A: Block confirmations without a telehealth link and retry room creation
A: Add a contract test for the video vendor API

cancellations-not-releasing | Cancellations not releasing appointment slots | Patient Web, Provider Web
I: Cancelled appointments kept blocking their slots, so clinics lost bookable capacity.
T: a migration added an appointment status the slot release job did not know
S: clinic complaints about full schedules with no visits
C: the release job skipped appointments with the new status
F: job updated and the blocked slots released
W: Status values were spread across services with no shared enum.
A: Share the appointment status enum across services
A: Add a daily check for slots blocked by cancelled appointments

google-calendar-sync | Google Calendar sync failing for providers | Provider Web, Provider iOS
I: Provider appointments stopped syncing to personal Google calendars.
T: a retry bug made our Google API client hit its daily quota
S: provider support tickets
C: a retry loop on 403 errors exhausted the API quota
F: retry loop fixed and a quota increase requested
W: The sync retried quota errors immediately with no backoff.
A: Back off on Google API quota errors
A: Alert on Google API quota usage above 80%

checkin-kiosk-offline | Check-in kiosks offline at clinics | Patient Web
I: Self check-in kiosks showed a blank screen, so front desks checked patients in by hand and lines built up.
T: the kiosk app pinned an old API version that had just been removed
S: calls from clinic front desks
C: the removed API version broke the kiosk startup call
F: API version restored temporarily and the kiosk app updated
W: Removing an API version did not check kiosk traffic.
A: Check traffic by client before removing an API version
A: Add kiosks to the API deprecation notice list

appointment-search-slow | Appointment search slow for front desks | Provider Web
I: Searching appointments took 15 to 30 seconds for front desk staff, slowing check-in.
T: a search index rebuild ran during business hours
S: provider web latency alert
C: the index rebuild saturated search cluster CPU
F: rebuild paused and rescheduled for the night
W: Index rebuilds had no schedule guard.
A: Restrict search index rebuilds to off hours
A: Add a dedicated search node for rebuilds

reschedule-emails-wrong-time | Reschedule emails showing the wrong appointment time | Patient Web
I: Patients who rescheduled got emails with the time in UTC instead of their clinic's time, and some came at the wrong hour.
T: an email template change dropped the clinic timezone filter
S: patient replies to the emails asking about the time
C: the template rendered UTC timestamps
F: template fixed and correction emails sent
W: Email templates had no rendering tests.
A: Add snapshot tests for appointment email templates
A: Send correction emails to the affected patients

== Patient Apps
patient-ios-crash-on-launch | Patient iOS app crashes on launch after the 6.8 release | Patient iOS
I: Patient iOS 6.8 crashed on launch for users with an old cached profile, about 40% of iOS users.
T: Patient iOS 6.8 rolled out to 100% of users
S: crash-free users alert in Crashlytics
C: a new non-optional field in the profile model crashed decoding of cached profiles
F: hotfix 6.8.1 expedited through App Review and cached profiles cleared remotely
W: The release went to 100% without a phased rollout.
W: Tests only used fresh installs, never upgrades.
A: Use phased rollout for all iOS releases
A: Add upgrade-path tests with cached data
A: Alert on crash-free users below 99.5% within an hour of a release

patient-android-login-loop | Patient Android login loop | Patient Android
I: Android patients were sent back to the login screen after logging in and could not use the app.
T: a change to token storage shipped for Android 14
S: spike in login events per user
C: tokens were written to storage that was cleared when the app restarted
F: storage fix released and a forced update shown
W: The change was only tested on Android 13 devices.
A: Add Android 14 devices to the test matrix
A: Alert on logins per user per hour

intake-forms-not-submitting | Intake forms not submitting | Patient Web, Patient iOS, Patient Android
I: Patients could not submit intake forms before their visit, so front desks collected the information on paper.
T: a new required field was added to the API but not to the form
S: support tickets and a drop in form submissions
C: the API rejected submissions missing the new field
F: field made optional in the API
W: API and form changes were released separately with no contract test.
A: Add contract tests between intake forms and the API
A: Alert on intake form submission failures

android-push-not-delivered | Push notifications not delivered on Android | Patient Android
I: Android patients got no push notifications for messages and reminders.
T: push sending was migrated to the new FCM API
S: an engineer noticed zero Android deliveries on the push dashboard
C: the service account lacked permission on the new FCM API
F: permission granted and notifications re-sent
W: The migration was tested with a developer project that had broader permissions.
A: Alert on push delivery rate per platform
A: Document FCM permissions for each environment

telehealth-black-screen-ios | Telehealth video shows a black screen on iOS 18 | Patient iOS
I: Patients on iOS 18 saw a black screen in video visits and providers had to switch to phone calls.
T: iOS 18 changed the camera permission flow
S: provider reports through support
C: our video SDK version did not handle the new permission flow
F: SDK upgraded and a hotfix released
W: We did not test on iOS betas before the public release.
A: Test telehealth on iOS betas every summer
A: Add an in-call fallback to phone audio

lab-results-tab-blank | Lab results tab blank in the patient apps | Patient iOS, Patient Android, Patient Web
I: Patients saw an empty lab results tab, and clinics got calls from worried patients.
T: a pagination change in the results API
S: support tickets
C: the apps requested page 0, which the API now rejected
F: API accepts page 0 again
W: The API change broke older clients and we had no client-version tests.
A: Test API changes against the last three app versions
A: Alert on empty lab result responses

patient-portal-css-broken | Patient portal layout broken after a CDN change | Patient Web
I: The patient portal rendered without styles and patients struggled to find buttons.
T: CSS bundle paths changed while the CDN served stale HTML
S: screenshots posted by support
C: cached HTML referenced CSS files that no longer existed
F: cache purged and old bundles kept for 24 hours after deploys
W: Deploys deleted the previous asset bundles immediately.
A: Keep previous asset bundles for 24 hours after a deploy
A: Add a visual smoke test after deploys

appointment-deep-links-broken | Appointment deep links broken in reminders | Patient iOS, Patient Android
I: Tapping the appointment link in a reminder opened the app home screen instead of the appointment, and confirmations dropped.
T: a router refactor changed deep link paths
S: drop in confirmation rate from reminders
C: the old link format had no route
F: route alias added and released
W: Deep link formats were not treated as a contract with Messaging.
A: Add deep link contract tests
A: Track reminder confirmation rate on the messaging dashboard

android-release-wrong-endpoint | Android release pointed at the staging API | Patient Android
I: Android patients who updated saw no data because the app talked to staging.
T: the release build variant picked up the staging config
S: support tickets within an hour of the rollout
C: a gradle change reordered config files
F: rollout halted and a fixed build released
W: The release pipeline did not verify the API endpoint baked into the build.
A: Verify the API endpoint in release builds
A: Use staged rollout with a 1% first step

android-anr-message-thread | Android app freezes on long message threads | Patient Android
I: The Android app froze when patients opened long secure message threads.
T: a refactor moved message rendering onto the main thread
S: ANR rate alert in Play Console
C: markdown rendering ran on the main thread
F: rendering moved off the main thread
W: There was no performance test with long threads.
A: Add a long-thread performance test
A: Alert on Android ANR rate

medication-list-duplicates | Medication list showing duplicates | Patient iOS, Patient Android, Patient Web
I: Patients saw each medication two or three times, and clinics got calls asking about doses.
T: a sync job change stopped deduplicating records from the EHR
S: clinic reports
C: the dedup key changed format
F: dedup key fixed and duplicates removed
W: The dedup logic had no tests.
A: Add tests for medication dedup
A: Add a data quality check for duplicate medications

photo-upload-fails | Insurance card photo upload fails | Patient iOS, Patient Android
I: Patients could not upload insurance card photos during online check-in.
T: the image size limit was lowered in the API gateway
S: drop in successful uploads
C: photos from newer phone cameras were above the new limit
F: limit raised and client-side compression added
W: The gateway limit change was not announced to the app teams.
A: Compress images on the client before upload
A: Announce gateway limit changes in the platform changelog

== Provider Apps
provider-ios-crash-on-login | Provider iOS app crashes on login | Provider iOS
I: Providers on iOS could not log in for most of a clinic day and had to use the web app.
T: Provider iOS 4.21 shipped with a new SSO library
S: crash rate alert
C: the SSO library crashed for accounts with MFA enabled
F: fixed build 4.21.1 expedited through App Review
W: MFA accounts were not in the release test plan.
A: Add MFA accounts to the release test plan
A: Use phased release for Provider iOS

provider-schedule-timeouts | Provider web schedule view timing out | Provider Web
I: Providers and front desks could not load the day schedule, slowing check-in at many clinics.
T: a new schedule widget loaded all appointments for the month
S: provider web latency alert
C: the widget query fetched a month instead of a day
F: query limited to the visible range
W: Performance was only reviewed on small demo clinics.
A: Add production-sized performance tests for the schedule view
A: Alert on schedule endpoint p95

charting-autosave-lost | Clinical notes lost after silent autosave failures | Provider Web
I: Some providers lost parts of the clinical notes they had written because autosave failed silently.
T: an autosave endpoint change returned 200 without saving on validation errors
S: complaint escalated by a clinic medical director
C: validation errors were swallowed by the endpoint
F: endpoint returns errors and the editor shows a save warning
W: The editor trusted the 200 response without checking the saved version.
W: Autosave failures were not logged.
A: Show a visible warning when autosave fails
A: Log and alert on autosave validation errors
A: Recover lost drafts from editor local storage where possible

eprescribing-failing | E-prescribing submissions failing | Provider Web, Provider iOS
I: Prescriptions could not be sent to pharmacies and providers called pharmacies directly.
T: the e-prescribing network rotated its certificate
S: error-rate alert on the prescribing service
C: our client pinned the old certificate
F: certificate pin updated
W: Certificate pinning was configured without a backup pin.
A: Add backup pins for the e-prescribing network
A: Subscribe to the network's certificate rotation notices

provider-android-sync-stuck | Provider Android offline sync stuck | Provider Android
I: Home-visit providers on Android could not sync notes they had taken offline.
T: a sync protocol change on the server
S: provider support tickets
C: old clients got a 409 and retried forever
F: server accepts the old protocol again
W: The server change was not backwards compatible.
A: Version the sync protocol
A: Alert on sync conflict rate

note-templates-missing | Clinical note templates missing for some clinics | Provider Web
I: Providers at several clinics could not find their note templates and wrote notes from scratch.
T: a template migration script ran with the wrong clinic filter
S: clinic reports
C: templates were soft-deleted for clinics on the legacy plan
F: templates restored from soft-delete
W: The migration had no dry-run output review.
A: Require dry-run review for data migrations
A: Add a template count check after migrations

provider-dashboard-slow | Provider dashboard slow to load | Provider Web
I: The provider dashboard took over 20 seconds to load during the morning peak.
T: a new widget queried the reporting database on every load
S: latency alert
C: the reporting replica was overloaded
F: widget data cached for 5 minutes
W: Dashboard widgets had no performance budget.
A: Cache dashboard widgets
A: Set a performance budget for the dashboard

provider-session-expiry | Provider web sessions expiring after minutes | Provider Web
I: Providers were logged out every few minutes in the middle of visits.
T: the session config changed from minutes to seconds
S: support tickets
C: the idle timeout was interpreted in seconds
F: config corrected
W: The config unit was ambiguous.
A: Include units in session config names
A: Add a test for the session idle timeout

signatures-not-saving | Provider signatures not saving on documents | Provider Web, Provider iOS
I: Signed documents were saved without the provider signature and had to be signed again.
T: the signature image upload path changed
S: a clinic compliance officer reported unsigned documents
C: signature images were written to a bucket the document service could not read
F: bucket permissions fixed and documents re-signed
W: No end-to-end test covered signing.
A: Add an end-to-end signing test
A: Send clinics the list of documents signed during the incident

inbox-unread-counts-wrong | Provider inbox unread counts wrong | Provider Web, Provider iOS, Provider Android
I: Provider inbox badges showed zero unread messages, so some patient messages waited a day for a reply.
T: a counter cache change in the messaging API
S: provider complaints
C: the unread counter was not updated on new messages
F: counters recomputed and the cache write fixed
W: The counter cache had no consistency check.
A: Add a nightly unread counter consistency check
A: Alert when unread counts drop sharply

fax-integration-stuck | Inbound fax integration stuck | Provider Web
I: Inbound faxes from labs and referring providers did not reach provider inboxes.
T: the fax vendor rotated the webhook signing secret
S: a clinic noticed missing referral faxes
C: webhook signature verification failed
F: secret updated and faxes re-fetched
W: Webhook verification failures were not alerted on.
A: Alert on webhook signature failures
A: Add the fax vendor secret to the rotation calendar

waiting-room-not-updating | Telehealth waiting room not updating for providers | Provider Web
I: Providers did not see patients waiting in the virtual waiting room, so visits started late.
T: a websocket gateway upgrade
S: provider reports
C: the new gateway dropped subscriptions after a reconnect
F: gateway rolled back
W: Reconnect behavior was never tested.
A: Add a reconnect test for waiting room subscriptions
A: Poll as a fallback when the websocket is down

== Data
nightly-etl-failed | Nightly ETL to the warehouse failed | Provider Web
I: Clinic reports showed no data for the previous day until the ETL was rerun in the afternoon.
T: a source table column was renamed
S: ETL failure email the next morning
C: the extract query referenced the old column
F: query updated and ETL rerun
W: Schema changes in source databases were not checked against ETL queries.
A: Check schema changes against ETL queries in CI
A: Page data on-call for ETL failures

clinic-dashboards-stale | Clinic analytics dashboards stale for three days | Provider Web
I: Clinic managers looked at three-day-old numbers on analytics dashboards with no warning.
T: the aggregation job scheduler was paused during maintenance
S: a clinic manager asked why the numbers had not changed
C: the job was never resumed after the maintenance window
F: job resumed and backfilled
W: The maintenance checklist did not include resuming paused jobs.
A: Show data freshness on every dashboard
A: Alert when aggregation jobs have not run for 26 hours

report-export-wrong-counts | Report exports showing wrong visit counts | Provider Web
I: Visit count reports double counted rescheduled visits, and some clinics had already used them for payroll.
T: a change to the visits model added reschedule rows
S: a clinic billing manager noticed counts above the schedule
C: the report query did not filter reschedule rows
F: query fixed and corrected reports sent
W: Reports had no reconciliation against source counts.
A: Add reconciliation tests for visit reports
A: Send corrected reports to affected clinics

kafka-consumer-lag | Kafka consumer lag delayed chart updates | Provider Web, Provider iOS
I: Chart updates from partner EHRs were delayed by up to five hours.
T: a consumer deploy started a partition rebalance loop
S: consumer lag alert
C: consumers kept rebalancing because processing exceeded the poll interval
F: max poll interval raised and processing batched
W: Consumer config was left at library defaults.
A: Tune consumer poll settings
A: Alert on consumer rebalance rate

hl7-ingestion-backlog | HL7 feed ingestion backlog | Provider Web
I: Lab results and ADT messages from hospital partners were delayed by up to 8 hours.
T: a partner sent a burst of historical messages
S: ingestion backlog alert
C: live and historical messages shared one queue with no priority
F: historical messages moved to a separate queue
W: Backfills and live feeds shared one pipeline.
A: Separate backfill and live HL7 queues
A: Rate-limit partner backfills

duplicate-patient-records | Duplicate patient records created by the merge job | Provider Web, Patient Web
I: The nightly merge job created duplicate patient records, and front desks saw two charts for the same patient.
T: a matching rules change in the merge job
S: front desk reports
C: a rule treated case differences in names as different patients
F: job stopped and duplicates merged back
W: Matching rule changes were not evaluated against a labeled dataset.
A: Evaluate matching rule changes against a labeled set
A: Alert on the duplicate record rate

claims-export-late | Claims export to the clearinghouse late | Provider Web
I: Claims were submitted a day late, which delayed insurance payments to clinics.
T: the clearinghouse changed its SFTP host key
S: email from the clearinghouse
C: the export job refused the new host key
F: host key updated and the export re-sent
W: The host key change was not announced to us in advance.
A: Alert on claims export failures
A: Agree a change notice process with the clearinghouse

search-index-stale | Patient search index stale | Provider Web
I: Newly registered patients could not be found by search for several hours.
T: the index update consumer crashed on a malformed record
S: front desk reports
C: the consumer had no dead letter queue
F: malformed record skipped and the index caught up
W: One bad record blocked the whole pipeline.
A: Add a dead letter queue to the indexer
A: Alert on indexer lag

bi-queries-overload-replica | BI queries overloaded the reporting replica | Provider Web
I: Reports and dashboards timed out for clinics while an internal BI query ran.
T: an ad-hoc BI query ran on the production replica
S: replica CPU alert
C: the query scanned all visits without a date filter
F: query killed and BI access moved to the warehouse
W: BI users had access to the production replica.
A: Move BI access to the warehouse
A: Set statement timeouts for BI users

retention-job-overdelete | Retention job deleted recent audit logs | Provider Web
I: The retention job deleted two weeks of recent audit logs. No patient data was lost, but compliance reports for the period were incomplete until the restore.
T: the retention window config changed from days to weeks
S: the compliance team noticed gaps
C: the job read the new value as days instead of weeks
F: logs restored from backup
W: The retention config had no unit.
A: Add units to the retention config
A: Require compliance review for retention changes

lab-results-feed-dropped | Lab results feed dropped messages | Provider Web, Patient Web
I: Some lab results never reached charts and patient portals until they were replayed.
T: a lab partner changed its message encoding
S: partner reconciliation report
C: the parser dropped messages with the unexpected encoding
F: parser fixed and messages replayed
W: Parse failures were counted but not alerted on.
A: Alert on parse failures per partner
A: Keep raw messages for replay

schema-drift-pipeline | Analytics pipeline broke on schema drift | Provider Web
I: Clinic productivity reports were missing for two days.
T: an upstream service added a column with a new type
S: pipeline failure alert
C: the loader rejected the new column type
F: schema updated and the pipeline rerun
W: Upstream schema changes were not announced.
A: Add schema registry checks
A: Announce schema changes in the data channel

== Identity
okta-sso-login-failures | SSO login failures for clinics using Okta | Provider Web, Provider iOS, Provider Android
I: Providers at clinics using Okta SSO could not log in at the start of their clinic day.
T: a SAML library upgrade changed the default signature algorithm check
S: support tickets from several clinics
C: Okta assertions signed with SHA-1 were rejected
F: SHA-1 allowed for the listed IdPs and clinics asked to migrate
W: The upgrade was only tested with our own IdP.
A: Test SSO changes against each IdP type we support
A: Alert on SSO failure rate per clinic

mfa-sms-codes-delayed | MFA SMS codes delayed | Provider Web, Patient Web
I: MFA codes arrived minutes late, so many users could not log in.
T: a carrier issue at the SMS vendor
S: login failure rate alert
C: codes were queued at the vendor
F: traffic shifted to the backup SMS vendor
W: Failover to the backup vendor was manual.
A: Automate SMS vendor failover for MFA codes
A: Offer authenticator apps to all providers

password-reset-emails-missing | Password reset emails not sent | Patient Web, Provider Web
I: Users who forgot their password could not reset it.
T: the email vendor retired the template ID we used
S: support tickets
C: the email vendor rejected the old template ID
F: template ID updated
W: Template IDs were hard-coded.
A: Alert on password reset email failures
A: Move template IDs to config with validation

sessions-invalidated-key-rotation | All sessions invalidated after signing key rotation | All
I: Every user was logged out at once and the login service was overloaded by re-logins.
T: the JWT signing key was rotated without keeping the old key for verification
S: login spike alert
C: old tokens could not be verified
F: old key added back to the verification set
W: The rotation procedure did not keep the previous key.
A: Keep previous signing keys for verification during rotation
A: Load test the login service for a mass re-login

saml-cert-expiry | SAML certificate expired for enterprise clinics | Provider Web
I: Providers at enterprise clinics using SAML could not log in.
T: our SAML signing certificate expired
S: support tickets
C: certificate expiry was not tracked
F: certificate renewed and new metadata sent to clinics
W: Certificate expiry was not monitored.
A: Monitor SAML certificate expiry
A: Publish SAML metadata at a stable URL

account-lockout-spike | Account lockout spike during a credential stuffing attack | Patient Web, Patient iOS, Patient Android
I: Thousands of patients were locked out after a credential stuffing attack triggered account lockouts.
T: a credential stuffing attack from a botnet
S: lockout rate alert
C: lockouts applied per account instead of per source
F: bot traffic blocked at the WAF and lockouts cleared
W: The lockout logic punished the real account owners.
A: Add per-IP throttling before account lockout
A: Enable bot protection on the login endpoint
A: Review login anomaly alerts with security

provider-invites-expired | Provider invite links expired immediately | Provider Web
I: New providers could not activate their accounts.
T: the invite token TTL changed
S: clinic admins reported failing invites
C: the TTL was set in seconds instead of hours
F: TTL fixed and invites re-sent
W: The token TTL config had no unit.
A: Add units to token TTL config
A: Add an invite activation test

oauth-refresh-cws-clients | OAuth token refresh failing for CWS API clients | CWS APIs
I: Partner integrations could not refresh tokens and stopped syncing.
T: refresh token rotation was enabled for all clients
S: partner escalations
C: partners reused refresh tokens that were now single-use
F: rotation disabled for existing clients
W: The change did not consider how partner clients behave.
A: Announce auth changes to partners 30 days ahead
A: Make refresh token rotation opt-in per client

role-permissions-regression | Role permissions regression exposed chart edit buttons | Provider Web
I: Front desk users could see and use chart edit buttons meant for providers. The audit log showed no unauthorized edits.
T: a permissions refactor
S: a clinic admin reported it
C: a role mapping default granted edit rights
F: mapping fixed and the audit log reviewed
W: Permission changes had no test matrix.
A: Add a role permission test matrix
A: Require security review for permission changes

proxy-access-misconfigured | Patient proxy access misconfigured | Patient Web, Patient iOS
I: Some parents lost proxy access to their children's records.
T: an age-based rule change for proxy access
S: support tickets
C: the rule used the birth year only
F: rule fixed and access restored
W: Age boundary cases were not tested.
A: Add tests for proxy age boundaries
A: Review proxy rules with compliance

login-rate-limit-false-positives | Login rate limit blocked clinics behind shared NAT | Provider Web
I: Large clinics behind a single IP address could not log in during shift change.
T: a new per-IP login rate limit
S: calls from clinics
C: the limit did not account for shared IP addresses
F: limits relaxed for known clinic IP ranges
W: Rate limits did not consider clinic network setups.
A: Allowlist known clinic IP ranges
A: Base login rate limits on account plus IP

scim-provisioning-stalled | SCIM provisioning stalled for enterprise clinics | Provider Web
I: New staff at enterprise clinics were not provisioned.
T: a SCIM endpoint change
S: reports from clinic IT
C: a pagination bug in the SCIM list users call
F: pagination fixed and sync rerun
W: SCIM had no integration test against a real IdP.
A: Add SCIM integration tests
A: Alert on SCIM error rate

== Messaging
secure-messages-delayed | Secure messages between patients and providers delayed | Patient iOS, Patient Android, Provider Web
I: Secure messages took up to two hours to reach the other side.
T: a memory leak in the message fan-out worker
S: message lag alert
C: workers were OOM killed and restarted in a loop
F: leak fixed and workers scaled out
W: Nothing alerted on worker restarts.
A: Alert on worker restart loops
A: Add memory profiling to messaging load tests

email-bounces-spike | Email bounce spike after a DNS cleanup | Patient Web, Provider Web
I: Appointment and billing emails bounced for a large share of recipients.
T: the SPF record was edited during a DNS cleanup
S: bounce rate alert from the email vendor
C: the SPF record no longer included the email vendor
F: SPF record restored
W: The DNS cleanup did not check email authentication records.
A: Monitor SPF and DKIM and DMARC records
A: Require messaging review for mail DNS changes

sms-vendor-outage | SMS vendor outage delayed reminders and login codes | Patient iOS, Patient Android, Patient Web
I: SMS reminders and login codes were not delivered until traffic moved to the backup vendor.
T: outage at our primary SMS vendor
S: delivery rate alert
C: all SMS traffic went through one vendor
F: traffic failed over to the backup vendor
W: Failover was manual and slow.
A: Automate SMS vendor failover
A: Test SMS failover monthly
R: mfa-sms-codes-delayed

apns-cert-expired | APNs certificate expired | Patient iOS, Provider iOS
I: iOS users got no push notifications for half a day.
T: the APNs certificate expired
S: drop in iOS push deliveries
C: the certificate was not tracked anywhere
F: switched to token-based APNs authentication
W: Certificate-based APNs auth needed a manual yearly renewal.
A: Use token-based APNs authentication
A: Add push certificates to expiry monitoring

duplicate-sms-reminders | Duplicate SMS reminders sent to patients | Patient iOS, Patient Android
I: Patients got the same reminder three to five times, and some replied STOP and were opted out of future reminders.
T: the queue visibility timeout was shorter than the send time
S: patient complaints
C: messages were redelivered while they were still being sent
F: visibility timeout raised and sends made idempotent
W: SMS sends were not idempotent.
A: Make SMS sends idempotent
A: Restore opt-outs caused by duplicate messages after patient confirmation

message-attachments-fail | Message attachments fail to upload | Patient iOS, Patient Android, Provider Web
I: Patients and providers could not attach files to secure messages.
T: a virus scanner service update
S: error-rate alert
C: the scanner rejected all files after a failed signature update
F: scanner rolled back
W: Scanner updates had no canary.
A: Canary scanner signature updates
A: Quarantine files instead of failing when the scanner is down

unsubscribe-links-broken | Unsubscribe links broken in clinic newsletters | Patient Web
I: Patients could not unsubscribe from clinic newsletters, which is a compliance risk.
T: the link signing key changed
S: patient complaints
C: links signed with the old key failed validation
F: old key accepted for 90 days
W: Key rotation broke all outstanding links.
A: Accept previous link signing keys during rotation
A: Add an unsubscribe end-to-end test

fax-delivery-delays | Outbound fax delivery delays | Provider Web
I: Referral faxes to specialists were delayed by up to six hours.
T: the fax vendor throttled our account
S: clinic complaints
C: a batch send exceeded the vendor's concurrency limit
F: sends spread out and the limit raised
W: Batch sends had no rate limit.
A: Rate-limit outbound fax batches
A: Alert on fax queue age

chat-websocket-disconnects | Chat websocket disconnects every minute | Patient Web, Provider Web
I: Live chat between front desks and patients disconnected every minute.
T: the load balancer idle timeout was lowered
S: support tickets
C: websocket heartbeats every 90 seconds were longer than the new timeout
F: heartbeat interval lowered
W: Load balancer changes did not consider websocket traffic.
A: Send websocket heartbeats every 30 seconds
A: Add websocket traffic to the load balancer change review

sms-opt-out-ignored | SMS opt-outs ignored for a day | Patient iOS, Patient Android
I: Patients who replied STOP kept receiving reminders for a day.
T: the opt-out webhook endpoint moved
S: a patient complained to a clinic
C: the vendor still posted to the old endpoint
F: endpoint redirect added and opt-outs replayed
W: Vendor webhook config was not part of the migration plan.
A: Include vendor webhooks in endpoint migrations
A: Reconcile opt-outs with the vendor daily

email-templates-blank | Appointment emails sent with blank bodies | Patient Web
I: Appointment confirmation emails arrived with an empty body.
T: a template engine upgrade
S: patient replies
C: the new engine escaped the HTML body
F: upgrade rolled back
W: There were no email rendering tests.
A: Add email rendering snapshot tests
A: Send test emails to a seed list on deploy

notification-queue-poison | Poison message stalled the notification queue | Patient iOS, Patient Android, Provider iOS
I: All push and SMS notifications stopped until the bad message was removed.
T: a malformed notification payload
S: notification send-rate alert
C: the consumer crashed on the same message over and over
F: message moved to a dead letter queue
W: The notification consumer had no dead letter queue.
A: Add a dead letter queue to the notification consumer
A: Validate notification payloads at publish time
"""

# ---------------------------------------------------------------------------
# Designed repeats: the ground truth for "is a repeat of" (scripts/sample_repeats.json).
#
# Each block is a scenario as above, with
#   R: <slug> <days>   repeats_of: the same failure as scenario <slug>, on its incident's date + <days>
#                      (negative: this one came first and <slug>'s incident repeats it)
#   P: done | open [<action>]   the earlier incident's P0/P1 items at the later one's start: all done
#                      (the fix did not prevent it) or not all done (follow-through); <action> names the
#                      item left unfinished, made a P1 if it was a P2
# Scenarios linked by R (here or in SCENARIOS) form a family; every later member of a family repeats
# every earlier one. Each is written as its own post-mortem by another author: the same failure in
# other words, never the same sentences. These incidents draw from a random stream of their own
# (REPEAT_SEED), so the rest of the sample is what it was without them.
# ---------------------------------------------------------------------------

REPEATS = """
== Identity
saml-cert-lapsed | Enterprise SSO logins failing after the SAML signing certificate lapsed | Provider Web
I: Providers at enterprise clinics that sign in through their own identity provider were sent back with an "invalid signature" error and could not reach their schedules.
T: the SAML signing certificate we present to clinic identity providers reached its expiry date
S: a burst of provider tickets from enterprise clinics
C: nobody tracked when the SAML signing certificate expired, and rotating it needs each clinic to import new metadata
F: new signing certificate issued and metadata sent to every enterprise clinic's IT team
W: The SAML certificate's expiry date lived only in a spreadsheet that nobody owned.
W: Rotating the certificate needs every clinic to update its identity provider, so it was put off until it broke.
A: Alert 30 days before the SAML signing certificate expires
A: Serve SAML metadata from a stable URL so clinics pick up new certificates themselves
A: Give the SAML certificate an owner in the Identity team
R: saml-cert-expiry -364
P: open Alert 30 days before the SAML signing certificate expires

== Platform
api-cert-lapsed-again | Public API certificate lapsed again after its renewal job stopped | All
I: Every app and partner integration failed TLS handshakes against the public API for most of an hour until a new certificate was installed.
T: the public API certificate expired while its automatic renewal had been failing for three weeks
S: external synthetic checks and partner escalations
C: the renewal job failed on a changed DNS challenge permission and its failure alert went to a retired channel
F: certificate reissued by hand and the DNS challenge permission restored
W: The renewal-failure alert added after the last expiry posted to a channel that was archived in a reorganisation.
W: Nothing checked the expiry date of the certificate actually served on the endpoint.
A: Probe the served certificate's expiry from outside and page at 14 days
A: Route certificate renewal alerts to the Platform pager
R: expired-tls-cert-api 322
P: done

api-pods-min-replicas-again | API pods dropped to minimum replicas after a metrics adapter swap | CWS APIs, Patient Web, Provider Web
I: API latency climbed and some requests timed out during the morning peak while the API deployment ran at its minimum replica count.
T: the metrics adapter was replaced with a new one that exposes CPU usage under a different name
S: API latency alert
C: the autoscaler lost its CPU metric again and scaled the API pods down to the minimum
F: autoscaler pointed at the new metric name and replicas raised by hand
W: The alert for a missing autoscaler metric watched the old adapter only.
W: The autoscaler still scales down when it cannot read its metric.
A: Make the autoscaler hold its replica count when the metric is missing
A: Test autoscaler metrics as part of metrics adapter upgrades
R: autoscaler-scale-down 215
P: done

session-keys-evicted | Users logged out as Redis memory filled and session keys were evicted | Patient Web, Provider Web, Patient iOS, Provider iOS
I: Patients and providers were signed out every few minutes and some lost forms they were filling in.
T: a reporting cache wrote large keys with no expiry into the shared Redis
S: support tickets about being logged out over and over
C: Redis reached its memory limit and evicted session keys along with cache keys
F: the reporting cache keys were deleted and given an expiry
W: Sessions and caches lived in the same Redis with an eviction policy that could remove any key.
A: Move sessions to their own Redis that never evicts
A: Alert on Redis evictions
R: redis-evictions-logout -252
P: open Move sessions to their own Redis that never evicts

== Scheduling
dst-fall-back-series | Recurring visits an hour off after clocks fell back | Provider Web, Patient Web, Patient iOS, Patient Android
I: Weekly and monthly recurring appointments booked before the clocks changed showed an hour early in the schedule, and some patients turned up an hour before their provider was free.
T: the end of daylight saving time
S: front desks reported patients arriving for recurring visits at the wrong hour
C: recurring series were expanded from a UTC start time, so every occurrence after the time change moved by an hour in local time
F: affected series recalculated in each clinic's local time and patients sent corrected times
W: Recurrence expansion used a fixed UTC offset instead of the clinic's time zone.
W: No test covered a recurring series that crosses a daylight saving transition.
A: Expand recurring series in the clinic's local time zone
A: Add daylight saving transition cases to the recurrence tests
A: Send corrected appointment times to affected patients
R: recurring-appointments-dst -294
P: open Add daylight saving transition cases to the recurrence tests

dst-series-shift-again | Recurring appointments shifted an hour again after the November time change | Provider Web, Patient Web
I: For the second time, recurring appointments created before the clocks changed showed one hour off in provider schedules and patient reminders.
T: the November daylight saving transition
S: clinic managers reported a wave of patients arriving an hour early
C: the bulk import path for recurring series still converted wall-clock times to UTC before expansion, which the earlier fix had not covered
F: import path switched to local wall time and the shifted series recomputed
W: The earlier fix changed the booking path but not the bulk import path, and only the booking path had daylight saving tests.
A: Route every way of creating a recurring series through one expansion function
A: Run the daylight saving test suite against the import path
R: recurring-appointments-dst 70
P: done

calendar-sync-quota-again | Provider calendar sync stopped again after hitting the Google API quota | Provider Web, Provider iOS
I: Appointments stopped appearing in providers' personal Google calendars for most of a working day.
T: a token refresh bug made the sync retry every failed request at once
S: provider support tickets
C: immediate retries after quota errors used up the daily Google API quota
F: retries throttled and the quota reset the next morning
W: The backoff added after the last quota incident covered 403 quota errors but not 429 rate-limit errors.
A: Back off on every Google API error that means slow down
A: Alert on Google API quota use above 70%
R: google-calendar-sync 124
P: done

== Payments
double-charge-retries-again | Patients double-charged again when the app retried slow copay payments | Patient iOS, Patient Android
I: Patients paying copays in the mobile apps were charged twice or three times while the payments service was slow. Support issued refunds for every duplicate charge.
T: a slow downstream card processor pushed copay charges past the mobile apps' request timeout
S: support tickets about duplicate copay charges
C: the mobile apps still retried payment POST requests automatically on timeout, and older app versions sent no idempotency key
F: server rejects charge requests without an idempotency key from the affected app versions and duplicates refunded
W: The change to stop automatic payment retries in the mobile apps, planned after the last retry storm, was never finished.
W: Idempotency keys were enforced only for new app versions, and many patients had not updated.
A: Finish removing automatic retries of payment requests from the mobile apps
A: Reject charge requests without an idempotency key from every app version
R: duplicate-copay-charges 76
P: open Stop automatic retries of payment requests in the mobile apps

copay-zero-again | Copay estimates at $0 again after an eligibility response change | Patient Web, Patient iOS, Patient Android
I: Insured patients booking online were shown a $0 copay estimate, then asked to pay the real amount at check-in. Clinics passed on complaints from patients who felt misled.
T: the eligibility vendor started sending the copay amount inside a nested benefits object
S: front desk complaints forwarded by support
C: the eligibility parser did not find the copay where it expected it and fell back to zero
F: parser reads the nested field and shows "estimate unavailable" when no copay is found
W: The parser still fell back to $0 on a path the earlier fix did not touch.
W: Nightly vendor contract tests checked field types, not where the copay sits in the response.
A: Remove every $0 fallback from copay estimation
A: Extend eligibility contract tests to the response structure
R: copay-estimates-zero 180
P: done

statement-run-pool-exhausted-again | Month-end statement run exhausted payments database connections again | Patient Web, Provider Web, CWS APIs
I: Payment pages and the payments API timed out for about forty minutes at the start of the month-end statement run.
T: the month-end statement run started while card-on-file updates were running
S: payments API error-rate page
C: statement workers and user requests still shared one database connection pool, and the statement batch took every connection
F: statement run paused, then restarted with fewer workers
W: Splitting batch jobs into their own connection pool, planned after last year's month-end outage, was still not done.
A: Give the statement run its own connection pool
A: Alert when the payments connection pool is more than 80% used
R: payments-db-pool-exhaustion 387
P: open Give batch jobs a separate connection pool

== Data
lab-messages-dropped-again | Lab results silently dropped after a partner changed its message format | Provider Web, Patient Web
I: Results from one lab partner did not reach patient charts or the patient portal for two days until the dropped messages were replayed.
T: the lab partner began sending a new HL7 segment order
S: a clinic asked why results from that lab had stopped arriving
C: the parser discarded messages it could not read, and the per-partner parse failure alert had a threshold too high for a small partner
F: parser accepts the new segment order and the dropped messages were replayed
W: Parse failures were alerted on as a share of all messages, so one small partner failing entirely stayed under the threshold.
A: Alert on parse failures per partner as a count, not a share
A: Quarantine unreadable lab messages instead of dropping them
R: lab-results-feed-dropped 161
P: done
"""

# Findings and follow-ups that any post-mortem might have. Each is a group of paraphrases: an incident
# draws groups with the main random stream (so the rest of the sample stays as it was) and its scenario
# picks one wording of each (see ``phrase``), so unrelated post-mortems share a habit, as real ones do,
# but rarely a sentence, which would make them read alike to the text model.
GENERIC_WELL = [
    ("On-call acknowledged the page within {ack} minutes.",
     "The pager was answered in {ack} minutes.",
     "First response came {ack} minutes after the page."),
    ("Rollback was quick because the previous release was still warm.",
     "Reverting took minutes since the last good build was still deployed alongside.",
     "We could go back to yesterday's version right away."),
    ("Support had a clinic communication template ready and sent it within 20 minutes.",
     "A prepared customer notice meant support reached clinics inside twenty minutes.",
     "Customer care used a canned message and kept practices informed early."),
    ("The incident channel stayed focused: one IC, one scribe, clear hand-offs.",
     "Roles were clear from the start, with a named commander and a note taker.",
     "The war room was calm and well organised."),
    ("The status page was updated early and kept current.",
     "Public updates went out promptly and at a steady cadence.",
     "We posted a customer-facing notice quickly and refreshed it every half hour."),
    ("A feature flag let us turn off the broken path without a deploy.",
     "A kill switch disabled the faulty code path instantly.",
     "We could toggle the new behaviour off from the admin console."),
    ("Dashboards made it easy to size the blast radius.",
     "Graphs showed at a glance how many customers were hit.",
     "Per-tenant panels told us exactly who was affected."),
    ("Customer success called the largest affected clinics before they called us.",
     "Account managers contacted the biggest practices proactively.",
     "Our biggest customers heard from us first."),
    ("The runbook for this service was accurate and up to date.",
     "Written recovery steps matched reality and saved time.",
     "The playbook worked as documented."),
    ("{team} and {other} swarmed together without hand-off delays.",
     "{other} joined {team} within minutes and the two worked as one.",
     "Help from {other} arrived quickly when {team} asked."),
    ("Request IDs in the logs made tracing a single failing request fast.",
     "Correlation identifiers let us follow one broken call end to end.",
     "Distributed traces pointed straight at the failing hop."),
    ("The hotfix went through CI and canary in under 30 minutes.",
     "Our pipeline shipped the patch to production within half an hour.",
     "The fix was built, tested and rolled out quickly."),
]
GENERIC_WRONG = [
    ("The alert went to a Slack channel, not to the pager.",
     "Our only alarm for this posted into a chat room that nobody watches at night.",
     "The warning fired, but it was routed to email instead of paging anyone.",
     "Notifications for this signal were configured as informational, so on-call was never woken."),
    ("It took a while to find the right dashboard; there are three with similar names.",
     "Responders lost time hunting for the graph that mattered among dozens of stale boards.",
     "Nobody knew which Grafana folder held the relevant panels.",
     "The metrics we needed existed but were buried in an unfamiliar monitoring view."),
    ("The runbook was out of date and pointed at a decommissioned host.",
     "Our written procedure referenced a server that was retired last year.",
     "Steps in the playbook no longer matched how the service is deployed.",
     "The recovery notes in the wiki described the old architecture."),
    ("Two people chased the same hypothesis in parallel for 20 minutes.",
     "Effort was duplicated: several responders investigated one theory without coordinating.",
     "We spent half an hour on a red herring before ruling it out.",
     "Debugging was uncoordinated; three engineers tried identical restarts."),
    ("The status page was updated late, after clinics had already called support.",
     "Customers heard about the outage from their own staff before our public notice went up.",
     "External communication lagged; the first customer update went out long after impact began.",
     "Nobody owned the public update, so the banner appeared far too late."),
    ("We paged the wrong on-call rotation first.",
     "The escalation went to a group that does not own this component.",
     "Initial triage landed with the wrong people and had to be handed over.",
     "Ownership of the failing component was unclear, so the first responder could not act."),
    ("Logs for the failing service were sampled, so the first errors were missing.",
     "Log retention on that host was so short that the earliest failures had rotated away.",
     "Debug output was disabled in production, leaving little evidence of the initial failures.",
     "Tracing covered only a fraction of requests, and none of the broken ones."),
    ("It was unclear who was incident commander for the first part of the incident.",
     "Nobody declared themselves in charge, so decisions waited.",
     "Command was never formally assigned during the opening stretch.",
     "Without a named coordinator, updates and decisions were scattered across threads."),
    ("The rollback was blocked by a migration that could not be reversed.",
     "Reverting was impossible because a schema change had already been applied.",
     "We could not roll back: the previous build was incompatible with the new database columns.",
     "Going back to the last release would have lost data written in the new format."),
    ("Support did not know which clinics were affected, so every caller got the same generic answer.",
     "Front-line agents lacked a list of impacted customers and improvised replies.",
     "Customer-facing staff had no way to look up whether a given account was hit.",
     "Our helpdesk could only tell callers that engineering was investigating."),
    ("The change was deployed on a Friday afternoon with thin coverage.",
     "The release shipped just before a weekend, when few reviewers were around.",
     "It went out late in the day, so the author had already logged off.",
     "The rollout happened during a holiday week with a skeleton crew."),
    ("We had no quick way to reach clinic admins.",
     "There is no broadcast channel to contact practice managers at once.",
     "Reaching customer administrators meant calling them one by one.",
     "Our contact list for clinic leads was incomplete and out of date."),
]
GENERIC_LUCKY = [
    ("It happened early on a Sunday when clinic volume is low.",
     "Traffic was at its weekly minimum when it started.",
     "Few practices were open at that hour."),
    ("Only clinics in the canary cohort got the change at first.",
     "The staged rollout limited exposure to a small group.",
     "Just the pilot customers had received the new version."),
    ("The vendor already had a fix staged.",
     "Our supplier had a patch ready before we asked.",
     "The third party had already identified the problem on their side."),
    ("An engineer happened to be watching the deploy dashboard.",
     "Someone was looking at the release graphs by chance.",
     "A developer noticed odd numbers while checking something else."),
    ("Most affected appointments were days away, so we could fix the data before the visits.",
     "The bad records were for future dates, leaving time to repair them.",
     "Nothing affected happened on the same day, so corrections landed in time."),
    ("Client retries hid most of the errors from users.",
     "Automatic retries masked the failures for most people.",
     "Users rarely saw an error because the apps tried again."),
    ("No PHI was exposed or sent to the wrong recipient.",
     "Protected health information stayed where it belonged.",
     "No patient data reached anyone who should not see it."),
    ("Last night's backup was complete and recent.",
     "A fresh snapshot from a few hours earlier was available.",
     "The nightly dump had finished cleanly."),
    ("The largest clinic group was closed for a holiday.",
     "Our biggest customer was on a public holiday.",
     "A major practice network had the day off."),
    ("It was found before the monthly billing run.",
     "We caught it ahead of the month-end invoicing cycle.",
     "Discovery came before statements went out."),
]
GENERIC_WHY = [
    ("There was no automated test covering this path.",
     "Nothing in the test suite exercised this code path.",
     "The scenario that failed had no coverage in CI.",
     "Our integration checks skipped exactly this case."),
    ("Change review did not include the owning team.",
     "The people who know the component never saw the pull request.",
     "Approval came from reviewers outside the service's ownership.",
     "No one from the responsible group signed off on the change."),
    ("Monitoring watched averages, not p99 or per-clinic errors.",
     "Our graphs aggregated globally, hiding failures concentrated in a few tenants.",
     "Alert thresholds used means, which smoothed over the tail.",
     "We measured overall success rate, so a small slice failing stayed under the line."),
    ("On-call for this service had not been trained on the runbook.",
     "The responder had never practised this recovery.",
     "Rotation members were new and unfamiliar with the procedure.",
     "Onboarding for the pager rotation did not cover this system."),
    ("Capacity assumptions had not been revisited in over a year.",
     "Sizing was based on traffic levels from long ago.",
     "Headroom planning had not kept pace with growth.",
     "Nobody had re-checked the resource limits since the last big customer launch."),
]
GENERIC_ACTIONS = [
    ("Add this failure mode to the on-call training deck",
     "Cover this scenario in pager onboarding",
     "Walk the rotation through this incident at the next handover"),
    ("Update the runbook with the steps from this incident",
     "Document the recovery steps we used",
     "Refresh the playbook for this service"),
    ("Add a paging alert for this failure mode",
     "Page on-call when this condition appears",
     "Turn the warning that fired into a page"),
    ("Write a customer-facing RCA for the affected clinics",
     "Send affected practices a root cause summary",
     "Publish an external incident report"),
    ("Run a game day for this failure mode",
     "Rehearse this outage in a drill",
     "Schedule a chaos exercise that reproduces this"),
    ("Add a dashboard panel for the signal that showed the problem",
     "Graph the metric that first showed the fault",
     "Put the early-warning signal on the service overview"),
    ("Review the on-call escalation policy",
     "Revisit who gets paged and when",
     "Tidy up the escalation chain for this component"),
    ("Add a canary stage for this service",
     "Roll this service out to a small cohort first",
     "Introduce staged deploys for this component"),
]
# Lines written from an incident's own numbers.
FAST_DETECTION = ("Alerting caught it within {detect} minutes of the start.",
                  "Monitoring flagged it {detect} minutes in.",
                  "We knew within {detect} minutes.")
SLOW_DETECTION = ("It took {took} to notice; the first signal was that {signal}.",
                  "Detection was slow ({took}); we first learned of it when {signal}.",
                  "For {took} nobody noticed, until {signal}.",
                  "We were blind for {took}: what finally tipped us off was that {signal}.")
DRAGGED_ON = ("The incident dragged on for {hours} hours and we escalated to a second team too late.",
              "It lasted {hours} hours; pulling in more help sooner would have shortened it.",
              "After {hours} hours we finally asked another group for help, far later than we should have.")
RESPONSE_EVENTS = [
    "{ic} acknowledged and opened #inc-{slug}",
    "Incident channel opened, {ic} is IC",
    "On-call ({ic}) acknowledged and started investigating",
    "{ic} joined the bridge and took incident command",
]
PARTIAL_EVENTS = [
    "Partial recovery: error rate back under 5% after mitigation",
    "Partial recovery: most clinics working again",
    "Partial recovery: feature flag turned off for new traffic",
    "Partial recovery: traffic shifted away from the failing path",
    "Partial recovery: backlog starting to drain",
]
RESOLVED_NOTES = ["", "metrics back to baseline", "confirmed with affected clinics",
                  "users confirmed working", "error rate normal", "monitoring for 30 min, all green"]

INSTR_IMPACT = ("High level of the impact, this is not for investigation sake but to give context "
                "for the severity of the incident")
INSTR_TIMELINE = ("<This should be a compressed version of the investigation doc timeline, if it's a short "
                  "incident than the **start** and **resolution** timeline would do.>")
INSTR_WELL = "Short version of what has happened well."
INSTR_WRONG = "Short version of what did not go well."
INSTR_LUCKY = ("If things could have been much worse, detail them as well. We want to fix the "
               "\u201cnear miss\u201d problems as well.")
INSTR_WHY = ("Summarize all the things that led to this problem in depth using the [5 whys](#) mindset. "
             "Include both technical and organizational things like")

TIMING_LABELS_FULL = {
    "detect": "Time to detect the issue (From when the issue started in production to when eng realized there was a problem)",
    "respond": "Time to response (From when eng knew there was a problem to starting to work on it)",
    "understand": "Time to understand the issue (Once eng started working on it, how long did it take to understand what the issue was)",
    "partial": "Time to partial recovery (Sometimes we have a partial recovery. How long did it last from responding to the incident to partial recovery)",
    "solution": "Time to solution (From understanding the issue to creating a solution)",
    "full": "Time to full recovery (From creating a solution to full recovery)",
}
TIMING_LABELS_SHORT = {
    "detect": "Time to detect the issue", "respond": "Time to response",
    "understand": "Time to understand the issue", "partial": "Time to partial recovery",
    "solution": "Time to solution", "full": "Time to full recovery",
}
PHASES = ("detect", "respond", "understand", "solution", "full")  # consecutive segments
YAML_TIMING_KEYS = {"detect": "time_to_detect", "respond": "time_to_response", "understand": "time_to_understand",
                    "partial": "time_to_partial_recovery", "solution": "time_to_solution", "full": "time_to_full_recovery"}
PRI_HEADINGS = {"P0": "P0 Action Items (should be done within 48 hours)",
                "P1": "P1 Action Items (should be done within 14 days)",
                "P2": "P2 Action Items (should be done within 28 days)"}


@dataclass
class Scenario:
    team: str
    slug: str
    title: str
    apps: str
    impact: str
    trigger: str
    signal: str
    cause: str
    fix: str
    why: list[str]
    actions: list[str]
    repeats_of: str | None = None  # the same failure as this scenario (R:)
    offset_days: int | None = None  # a designed repeat's day, from repeats_of's incident (R:)
    earlier_items: str = ""  # a designed repeat: "done" or "open <action>" (P:)


def load_scenarios(text: str = SCENARIOS) -> dict[str, list[Scenario]]:
    by_team: dict[str, list[Scenario]] = {}
    team = ""
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        if lines and lines[0].startswith("== "):
            team = lines.pop(0)[3:].strip()
        if not lines:
            continue
        slug, title, apps = (p.strip() for p in lines[0].split(" | "))
        tags: dict[str, list[str]] = {}
        for ln in lines[1:]:
            tag, text = ln.split(": ", 1)
            tags.setdefault(tag, []).append(text.strip())
        repeats_of, _, offset = tags.get("R", [""])[0].partition(" ")
        by_team.setdefault(team, []).append(Scenario(
            team, slug, title, apps, tags["I"][0], tags["T"][0], tags["S"][0], tags["C"][0], tags["F"][0],
            tags["W"], tags["A"], repeats_of or None, int(offset) if offset else None, tags.get("P", [""])[0]))
    return by_team


# ---------------------------------------------------------------------------
# The incident model
# ---------------------------------------------------------------------------

@dataclass
class Action:
    priority: str
    description: str
    owner: str
    ticket: str
    status: str  # open | done | wontfix
    completed: date | None
    due: datetime


@dataclass
class Incident:
    scenario: Scenario
    start_local: datetime
    tz_written: str | None  # as written in the file; None = not declared (times are UTC)
    inc_id: str = ""
    severity: str = "SEV3"
    severity_written: str = "SEV3"
    teams: list[str] = field(default_factory=list)
    author: str = ""
    ic: str = ""
    minutes: dict[str, int] = field(default_factory=dict)  # detect..full + partial
    clinics: int = 0
    providers: int = 0
    patients: int = 0
    techops: int = 0
    software: int = 0
    security: int = 0
    reviewers: list[tuple[str, str, date | None]] = field(default_factory=list)
    went_well: list[str] = field(default_factory=list)
    went_wrong: list[str] = field(default_factory=list)
    got_lucky: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    impact: str = ""
    fmt: str = ""  # txt | md_tsv | md_pipe | md_bullets | gdocs | fm | yaml | sre | drill
    ext: str = ""
    overrides: dict[str, str] = field(default_factory=dict)  # deliberate gaps: key -> raw text
    gap_note: str = ""
    exclude: bool = False

    @property
    def team(self) -> str:
        return self.scenario.team

    @property
    def slug(self) -> str:
        return self.scenario.slug

    @property
    def title(self) -> str:
        return self.scenario.title

    @property
    def date(self) -> date:
        return self.start_local.date()

    @property
    def tz(self):
        return self.start_local.tzinfo

    @property
    def total_min(self) -> int:
        return sum(self.minutes[p] for p in PHASES)

    def at(self, offset_min: int) -> datetime:
        """The local clock time ``offset_min`` real minutes after the start."""
        return (self.start_local.astimezone(UTC) + timedelta(minutes=offset_min)).astimezone(self.tz)

    @property
    def resolved_local(self) -> datetime:
        return self.at(self.total_min)

    @property
    def resolved_utc(self) -> datetime:
        return self.resolved_local.astimezone(UTC)

    @property
    def filename(self) -> str:
        return f"{self.date.isoformat()}-{self.slug}.{self.ext}"

    @property
    def quarter(self) -> str:
        return f"{self.date.year}-Q{(self.date.month - 1) // 3 + 1}"

    @property
    def prefix(self) -> str:
        return TEAMS[self.team][0]

    def events(self) -> list[tuple[datetime, str, str]]:
        """(local time, kind, text) of the timeline, in time order."""
        m = self.minutes
        s = self.scenario
        t_det = m["detect"]
        t_resp = t_det + m["respond"]
        t_und = t_resp + m["understand"]
        t_sol = t_und + m["solution"]
        t_part = t_resp + m["partial"]
        out = [(0, 0, "start", f"Started at: {s.trigger}")]
        if self.detail >= 1:
            out.append((t_det, 1, "detect", f"Detected: {s.signal}"))
        if self.detail >= 2:
            out.append((t_resp, 2, "respond", self.response_text))
        if self.detail >= 1:
            out.append((t_und, 3, "understand", f"Root cause identified: {s.cause}"))
        if self.detail >= 2 and t_part not in (t_und, t_sol, self.total_min):
            out.append((t_part, 3.5, "partial", self.partial_text))
        if self.detail >= 1:
            out.append((t_sol, 4, "solution", f"Fix deployed: {s.fix}"))
        note = self.resolved_note
        out.append((self.total_min, 9, "resolved", f"Resolved at: {note}" if note else "Resolved at"))
        out.sort(key=lambda e: (e[0], e[1]))
        return [(self.at(off), kind, text) for off, _, kind, text in out]

    detail: int = 2
    response_text: str = ""
    partial_text: str = ""
    resolved_note: str = ""


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------

def months() -> list[tuple[int, int]]:
    out, y, mo = [], FIRST_DAY.year, FIRST_DAY.month
    while (y, mo) <= (LAST_DAY.year, LAST_DAY.month):
        out.append((y, mo))
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return out


def month_len(y: int, mo: int) -> int:
    nxt = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
    return (nxt - date(y, mo, 1)).days


def is_bad_quarter(d: date) -> bool:
    return d.year == 2026 and d.month <= 3


def zone_for(kind: str, d: date):
    """(name as written, tzinfo) for a timezone habit on a date; abbreviations follow DST."""
    def dst(region: str) -> bool:
        return bool(datetime.combine(d, time(12), ZoneInfo(region)).dst())

    if kind == "PT":
        name = "PDT" if dst("America/Los_Angeles") else "PST"
        return name, timezone(timedelta(hours=-7 if name == "PDT" else -8), name)
    if kind == "ET":
        name = "EDT" if dst("America/New_York") else "EST"
        return name, timezone(timedelta(hours=-4 if name == "EDT" else -5), name)
    if kind == "CE":
        name = "CEST" if dst("Europe/Paris") else "CET"
        return name, timezone(timedelta(hours=2 if name == "CEST" else 1), name)
    if kind == "IST":
        return "IST", timezone(timedelta(hours=5, minutes=30), "IST")
    if kind == "UTC":
        return "UTC", UTC
    return kind, ZoneInfo(kind)


def lognormal(rng: Random, med: float, sigma: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, round(rng.lognormvariate(0, sigma) * med)))


def wchoice(rng: Random, pairs):
    items, weights = zip(*pairs)
    return rng.choices(items, weights)[0]


def fmt_severity(rng: Random, sev: str) -> str:
    n = sev[-1]
    return wchoice(rng, [(f"SEV{n}", 10), (f"Sev {n}", 4), (f"SEV-{n}", 3), (f"sev{n}", 2), (f"S{n}", 2),
                         (f"Severity {n}", 2), (f"SEV{n} (According to the severity matrix)", 1)])


DAYTIME = re.compile(r"morning|business hours|peak|clinic day|shift change|front desk", re.I)


def make_incidents(rng: Random) -> list[Incident]:
    scen = load_scenarios()
    for lst in scen.values():
        rng.shuffle(lst)

    # Dates: 3-5 a month, 6-7 in the bad quarter (2026 Q1), Nov 2026 up to the 20th.
    dates: list[date] = []
    for y, mo in months():
        n = rng.choice([6, 7]) if is_bad_quarter(date(y, mo, 1)) else rng.choice([3, 4, 4, 5])
        last = LAST_DAY.day if (y, mo) == (LAST_DAY.year, LAST_DAY.month) else month_len(y, mo)
        if (y, mo) == (LAST_DAY.year, LAST_DAY.month):
            n = 3
        dates.extend(date(y, mo, d) for d in sorted(rng.sample(range(1, last + 1), n)))

    # Primary teams, shuffled so every team spreads over the whole period.
    total_w = sum(TEAM_WEIGHTS.values())
    counts = {t: int(len(dates) * w / total_w) for t, w in TEAM_WEIGHTS.items()}
    for t in sorted(TEAM_WEIGHTS, key=lambda t: -TEAM_WEIGHTS[t]):
        if sum(counts.values()) >= len(dates):
            break
        counts[t] += 1
    teams = [t for t in TEAM_WEIGHTS for _ in range(counts[t])]
    rng.shuffle(teams)

    # Severities by quota (about 15% / 35% / 50% overall), with far more SEV1s in the bad quarter.
    sevs: list[str] = [""] * len(dates)
    for bad, mix in ((True, (0.35, 0.40)), (False, (0.105, 0.35))):
        idx = [i for i, d in enumerate(dates) if is_bad_quarter(d) == bad]
        n1, n2 = round(len(idx) * mix[0]), round(len(idx) * mix[1])
        pool = ["SEV1"] * n1 + ["SEV2"] * n2 + ["SEV3"] * (len(idx) - n1 - n2)
        rng.shuffle(pool)
        for i, sev in zip(idx, pool):
            sevs[i] = sev

    incidents: list[Incident] = []
    for d, team, sev in zip(dates, teams, sevs):
        incidents.append(make_incident(rng, d, team, sev, scen[team].pop()))

    incidents.sort(key=lambda i: i.start_local.astimezone(UTC))
    per_year: Counter = Counter()
    for inc in incidents:
        per_year[inc.date.year] += 1
        inc.inc_id = f"INC-{inc.date.year}-{per_year[inc.date.year] * 3 + rng.randint(0, 2):03d}"
    return incidents


def make_incident(rng: Random, d: date, team: str, sev: str, s: Scenario) -> Incident:
    """One incident of scenario ``s`` on day ``d``: start time, timezone, phases, blast radius, people."""
    span = (LAST_DAY - FIRST_DAY).days
    prefix, members, partners, tz_habits = TEAMS[team]
    kind = wchoice(rng, tz_habits)
    # Start time: mostly business hours, some evenings and nights (midnight crossings).
    r = rng.random()
    if DAYTIME.search(" ".join((s.title, s.impact, s.trigger))):
        hh, mm = rng.randint(7, 11), rng.randrange(0, 60, 1)  # the story says it happened in clinic hours
    elif r < 0.14:
        hh, mm = rng.randint(21, 23), rng.randrange(0, 60, 5)
    elif r < 0.22:
        hh, mm = rng.randint(0, 6), rng.randrange(0, 60, 1)
    else:
        hh, mm = rng.randint(7, 19), rng.randrange(0, 60, 1)
    name, tz = zone_for(kind, d)
    inc = Incident(s, datetime.combine(d, time(hh, mm), tz), name)

    bad = is_bad_quarter(d)
    inc.severity = sev
    inc.severity_written = fmt_severity(rng, sev)

    # Teams involved: the owning team first, then 0-2 collaborators.
    others = rng.sample(partners, k=min(len(partners), wchoice(rng, [(0, 4), (1, 5), (2, 2)])))
    inc.teams = [team] + others

    inc.author = rng.choice(members)
    inc.ic = rng.choice(members)

    # Phase durations (minutes).
    t = (d - FIRST_DAY).days / span
    if any(x in TREND_TEAMS for x in inc.teams):
        detect = lognormal(rng, 50 * ((7 / 50) ** t), 0.2, 2, 180)
    else:
        detect = lognormal(rng, 18 * (1.5 if bad else 1), 0.8, 2, 240)
    slow = 2.3 if bad else 1.0
    fast = 0.7 if sev == "SEV1" else 1.0
    m = {
        "detect": detect,
        "respond": lognormal(rng, 6 * fast * (1.3 if bad else 1), 0.6, 1, 60),
        "understand": lognormal(rng, 28 * slow, 0.75, 3, 600),
        "solution": lognormal(rng, 20 * slow, 0.75, 2, 600),
        "full": lognormal(rng, 14 * slow, 0.75, 2, 600),
    }
    long_p = (0.16 if sev == "SEV1" else 0.03) * (1.5 if bad else 1)
    if rng.random() < long_p:  # the heavy tail: 8-20 hours end to end
        target = rng.randint(8 * 60, 20 * 60)
        rest = target - m["detect"] - m["respond"]
        shares = [rng.uniform(0.2, 0.5) for _ in range(3)]
        tot = sum(shares)
        m["understand"] = round(rest * shares[0] / tot)
        m["solution"] = round(rest * shares[1] / tot)
        m["full"] = rest - m["understand"] - m["solution"]
    after_resp = m["understand"] + m["solution"] + m["full"]
    lo = max(1, m["understand"] // 2)
    hi = m["understand"] + m["solution"] + m["full"] // 2
    m["partial"] = min(rng.randint(lo, max(lo, hi)), after_resp - 1)
    inc.minutes = m

    # IANA zones: keep the incident clear of a DST switch (wall-clock arithmetic stays simple).
    if isinstance(tz, ZoneInfo) and inc.start_local.utcoffset() != inc.resolved_local.utcoffset():
        inc.start_local = inc.start_local - timedelta(days=3)

    inc.detail = wchoice(rng, [(0, 2), (1, 3), (2, 6)])
    inc.response_text = rng.choice(RESPONSE_EVENTS).format(ic=inc.ic, slug=s.slug)
    inc.partial_text = rng.choice(PARTIAL_EVENTS)
    inc.resolved_note = rng.choice(RESOLVED_NOTES)

    # Blast radius.
    patient_facing = "Patient" in s.apps or s.apps == "All"
    if sev == "SEV1":
        inc.clinics, inc.providers = rng.randint(90, 900), rng.randint(400, 5200)
        inc.patients = rng.randint(2500, 60000) if patient_facing else rng.randint(800, 9000)
    elif sev == "SEV2":
        inc.clinics, inc.providers = rng.randint(12, 220), rng.randint(30, 900)
        inc.patients = rng.randint(300, 9000) if patient_facing else rng.randint(40, 1500)
    else:
        inc.clinics, inc.providers = rng.randint(1, 45), rng.randint(2, 160)
        inc.patients = rng.randint(10, 1200) if patient_facing else rng.randint(0, 150)

    # Participants.
    inc.techops = wchoice(rng, [(0, 2), (1, 4), (2, 3), (3, 1), (4, 1 if sev == "SEV1" else 0)])
    inc.software = rng.randint(1, 3) + (rng.randint(1, 5) if sev == "SEV1" else rng.randint(0, 2))
    inc.security = (rng.choice([1, 1, 2]) if "Identity" in inc.teams else wchoice(rng, [(0, 8), (1, 2)]))

    # Impact summary, sometimes with the numbers.
    inc.impact = s.impact
    if rng.random() < 0.3 and inc.patients >= 100:
        inc.impact += f" Roughly {inc.patients:,} patients at {inc.clinics} clinics were affected."
    return inc


def phrase(wordings: tuple[str, ...], inc: Incident) -> str:
    """The scenario's own wording of a generic finding: fixed per scenario and finding, and drawn from a
    generator of its own, so choosing it leaves the main random stream as it was."""
    return wordings[Random(f"{inc.slug}|{wordings[0]}").randrange(len(wordings))]


def fill_people_and_findings(rng: Random, inc: Incident) -> None:
    """Reviewers, findings and action items (needs the resolution time, so after durations are final)."""
    team = inc.team
    members = TEAMS[team][1]
    lead = members[0]
    resolved_on = inc.resolved_local.date()
    age = (TODAY - resolved_on).days

    # Reviewers.
    names = ([lead] if lead != inc.author else []) + rng.sample(LEADERSHIP, rng.randint(1, 2))
    if len(inc.teams) > 1 and rng.random() < 0.5:
        names.append(TEAMS[inc.teams[1]][1][0])
    inc.reviewers = []
    for name in names:
        p_lgtm = 0.88 if age > 21 else 0.35
        if rng.random() < p_lgtm:
            on = min(resolved_on + timedelta(days=rng.randint(1, 10)), TODAY)
            inc.reviewers.append((name, "LGTM", on))
        else:
            inc.reviewers.append((name, "Not Reviewed", None))

    # Findings.
    other = inc.teams[1] if len(inc.teams) > 1 else "Platform" if team != "Platform" else "Data"
    fill = {"team": team, "other": other, "ack": inc.minutes["respond"]}
    inc.went_well = [phrase(x, inc).format(**fill) for x in rng.sample(GENERIC_WELL, rng.randint(1, 3))]
    if inc.minutes["detect"] <= 10:
        inc.went_well.insert(0, phrase(FAST_DETECTION, inc).format(detect=inc.minutes["detect"]))
    inc.went_wrong = [phrase(x, inc) for x in rng.sample(GENERIC_WRONG, rng.randint(1, 2))]
    if inc.minutes["detect"] >= 30:
        inc.went_wrong.insert(0, phrase(SLOW_DETECTION, inc).format(took=human_minutes(inc.minutes["detect"]),
                                                                      signal=inc.scenario.signal))
    if inc.total_min >= 8 * 60:
        inc.went_wrong.append(phrase(DRAGGED_ON, inc).format(hours=inc.total_min // 60))
    inc.got_lucky = [phrase(x, inc) for x in rng.sample(GENERIC_LUCKY, rng.randint(1, 2))]
    inc.why = list(inc.scenario.why)
    if rng.random() < 0.35:
        inc.why.append(phrase(rng.choice(GENERIC_WHY), inc))

    # Action items: 2-7, P0 first.
    n = wchoice(rng, [(2, 15), (3, 25), (4, 25), (5, 18), (6, 10), (7, 7)])
    descs = list(inc.scenario.actions)
    extra = [phrase(g, inc) for g in GENERIC_ACTIONS]
    rng.shuffle(extra)
    descs = (descs + extra)[:n]
    pris = []
    for i in range(len(descs)):
        if i == 0:
            pris.append("P0" if rng.random() < 0.8 else "P1")
        else:
            pris.append(wchoice(rng, [("P0", 2), ("P1", 5), ("P2", 3)]))
    order = sorted(range(len(descs)), key=lambda i: (pris[i], i))
    owners = members + [TEAMS[t][1][0] for t in inc.teams[1:]]
    used_tickets: set[str] = set()
    inc.actions = []
    for i in order:
        pri = pris[i]
        owner = rng.choice(owners)
        owner_team = next((t for t in TEAMS if owner in TEAMS[t][1]), team)
        while True:
            ticket = f"{TEAMS[owner_team][0]}-{rng.randint(120, 2999)}"
            if ticket not in used_tickets:
                used_tickets.add(ticket)
                break
        due = inc.resolved_utc + timedelta(hours=DEADLINE_HOURS[pri])
        due_on = due.date()
        status, completed = action_status(rng, inc, pri, resolved_on, due_on)
        inc.actions.append(Action(pri, descs[i], owner, ticket, status, completed, due))


def action_status(rng: Random, inc: Incident, pri: str, resolved_on: date, due_on: date):
    if due_on >= TODAY:  # not yet due
        if rng.random() < 0.25:
            done = resolved_on + timedelta(days=rng.randint(0, max(0, (TODAY - resolved_on).days)))
            return "done", min(done, TODAY)
        return "open", None
    late_p = 0.22 if is_bad_quarter(inc.date) else 0.13
    r = rng.random()
    if r < 0.08:
        return "open", None  # overdue
    if r < 0.105:
        return "wontfix", None
    if r < 0.105 + late_p:
        done = due_on + timedelta(days=rng.randint(2, 25))
        if done > TODAY:
            return "open", None
        return "done", done
    latest = max(0, (due_on - resolved_on).days - 1)
    return "done", resolved_on + timedelta(days=rng.randint(0, latest))


def human_minutes(m: int) -> str:
    return f"{m} minutes" if m < 90 else f"about {round(m / 60)} hours"


# ---------------------------------------------------------------------------
# Value formatting, the way people write things
# ---------------------------------------------------------------------------

DUR_STYLES = ["minutes", "min", "short", "hours", "clock", "iso", "words"]


def fmt_duration(m: int, style: str) -> str:
    h, mm = divmod(m, 60)
    if style == "minutes":
        return "1 minute" if m == 1 else f"{m} minutes"
    if style == "min":
        return f"{m} min"
    if style == "short":
        return f"{h}h {mm}m" if h and mm else f"{h}h" if h else f"{mm}m"
    if style == "hours":
        if h and mm == 0:
            return "1 hour" if h == 1 else f"{h} hrs"
        if h and mm == 30:
            return f"{m / 60:g} hours"
        if h:
            return f"{h} hr {mm} min"
        return f"{m} mins"
    if style == "clock":
        return f"{h}:{mm:02d}"
    if style == "iso":
        return "PT" + (f"{h}H" if h else "") + (f"{mm}M" if mm or not h else "")
    if style == "words":
        hp = "" if not h else "1 hour" if h == 1 else f"{h} hours"
        mp = "" if not mm else "1 minute" if mm == 1 else f"{mm} minutes"
        return " ".join(p for p in (hp, mp) if p)
    raise ValueError(style)


def fmt_count(n: int, commas: bool) -> str:
    return f"{n:,}" if commas else str(n)


def fmt_clock(dt: datetime, twelve: bool, zero_pad: bool = True) -> str:
    if twelve:
        s = dt.strftime("%I:%M %p")
        return s if zero_pad else s.lstrip("0")
    return dt.strftime("%H:%M")


# ---------------------------------------------------------------------------
# Rendering: template-shaped text (.txt / .md), front matter, YAML, SRE book
# ---------------------------------------------------------------------------

@dataclass
class Style:
    heading: str = "plain"  # plain | h2 | bold
    kv: str = "tab"  # tab | pipe | bullet | colon
    bold_labels: bool = False
    gdocs: bool = False  # first table row is the header, escapes
    instructions: bool = True
    full_labels: bool = True
    timeline: str = "tab"  # tab | bullet
    twelve: bool = True
    zero_pad: bool = True
    date_in_timeline: bool = False
    separators: bool = True
    metrics_heading: bool = True
    bullet: str = "-"
    checkbox: bool = False
    restart_ai: bool = True
    ticket_links: float = 0.2
    dur_style: str = "minutes"
    dur_mixed: bool = False
    commas: bool = True
    h1: bool = False
    blank: str = "\n"
    omit: tuple = ()
    tz_heading: str = "–"
    link_doc: bool = True
    title_in_body: bool = True


def esc(text: str, st: Style) -> str:
    """Google-Docs Markdown export habits: escaped hyphens and angle brackets."""
    if not st.gdocs:
        return text
    return text.replace("-", "\\-").replace("<", "\\<").replace(">", "\\>")


class Doc:
    def __init__(self, st: Style):
        self.st = st
        self.blocks: list[list[str]] = []

    def add(self, *lines: str) -> None:
        self.blocks.append(list(lines))

    def heading(self, text: str, level: int = 2) -> None:
        st = self.st
        if st.heading == "h2":
            self.add("#" * level + " " + text)
        elif st.heading == "bold":
            self.add(f"**{text}**")
        else:
            self.add(text)

    def kv(self, rows: list[tuple[str, str]], header: tuple[str, str] = ("Field", "Value")) -> None:
        st = self.st
        if not rows:
            return
        lab = (lambda x: f"**{x}**") if st.bold_labels else (lambda x: x)
        if st.kv == "tab":
            self.add(*[f"{lab(k)}\t{v}" for k, v in rows])
        elif st.kv == "pipe":
            if st.gdocs:  # an exported 2-column table: its first row becomes the header
                (k0, v0), rest = rows[0], rows[1:]
                self.add(f"| {lab(k0)} | {v0} |", "| :---- | :---- |", *[f"| {lab(k)} | {v} |" for k, v in rest])
            else:
                self.add(f"| {header[0]} | {header[1]} |", "|---|---|", *[f"| {lab(k)} | {v} |" for k, v in rows])
        elif st.kv == "bullet":
            if st.bold_labels:
                self.add(*[f"{st.bullet} **{k}:** {v}" for k, v in rows])
            else:
                self.add(*[f"{st.bullet} {k}: {v}" for k, v in rows])
        else:
            self.add(*[f"{lab(k)}: {v}" for k, v in rows])

    def text(self) -> str:
        sep = "\n" + self.st.blank
        return sep.join("\n".join(b) for b in self.blocks if b) + "\n"


def inv_doc(inc: Incident, markdown: bool) -> tuple[str, str]:
    name = f"{inc.inc_id} investigation"
    url = f"https://docs.example.com/{inc.inc_id.lower()}"
    return name, url


def render_template(inc: Incident, st: Style, rng: Random) -> str:
    o = inc.overrides
    d = Doc(st)
    md = st.heading != "plain" or st.kv in ("pipe", "bullet")

    def dur(key: str) -> str:
        if key in o:
            return o[key]
        style = rng.choice(DUR_STYLES) if st.dur_mixed else st.dur_style
        return fmt_duration(inc.minutes[key], style)

    def count(key: str, n: int) -> str:
        return o.get(key, fmt_count(n, st.commas))

    if st.h1:
        d.add(f"# {rng.choice(['', 'Post-mortem: ', 'Postmortem - '])}{inc.title}")

    name, url = inv_doc(inc, md)
    doc_val = o.get("investigation_doc", f"[{name}]({url})" if st.link_doc else name)
    top = [("Investigation doc", doc_val)]
    if st.title_in_body:
        top.append(("Title", esc(inc.title, st)))
    top.append(("Author", o.get("author", inc.author)))
    if "severity" not in st.omit:
        top.append(("Severity", inc.severity_written))
    d.kv(top)

    # Reviewers
    d.heading("Reviewers / List of stakeholders")
    if st.kv == "tab":
        rows = ["Name\tState (Not Reviewed/LGTM)\tDate"]
        if "reviewers" not in o:
            rows += [f"{n}\t{s}\t{on.isoformat() if on else ''}" for n, s, on in inc.reviewers]
        d.add(*rows)
    else:
        rows = ["| Name | State (Not Reviewed/LGTM) | Date |" if rng.random() < 0.5 else "| Name | State | Date |",
                "|---|---|---|"]
        if "reviewers" not in o:
            rows += [f"| {n} | {s} | {on.isoformat() if on else ''} |" for n, s, on in inc.reviewers]
        d.add(*rows)

    # Impact
    d.heading("Impact summary")
    if st.instructions:
        d.add(INSTR_IMPACT)
    impact = esc(inc.impact, st)
    if st.kv == "tab" and not md:
        d.add(*impact.replace(". ", ".\n").splitlines())
    else:
        d.add(*textwrap.wrap(impact, 100))

    # Timeline
    if "timezone" in o:
        tz_text = o["timezone"]
    elif "timezone" in st.omit:
        tz_text = None
    else:
        tz_text = inc.tz_written
    if tz_text is None:
        d.heading("Timeline summary")
    else:
        d.heading(f"Timeline summary {st.tz_heading} All times are in {tz_text}")
    if st.instructions:
        d.add(esc(INSTR_TIMELINE, st) if st.gdocs else INSTR_TIMELINE)
    rows = []
    for i, (at, kind, text) in enumerate(inc.events()):
        clock = fmt_clock(at, st.twelve, st.zero_pad)
        if i == 0 and st.date_in_timeline:
            clock = f"{at.date().isoformat()} {clock}"
        text = esc(text, st)
        if kind == "resolved" and "resolved_row" in o:
            clock, text = "HH:MM XM", o["resolved_row"]
        if st.timeline == "tab":
            rows.append(f"{clock}\t{text}")
        else:
            rows.append(f"{st.bullet} {clock} {rng.choice(['—', '—', '–'])} {text}")
    d.add(*rows)
    if st.kv == "tab" and not md:
        d.add(" ")

    if st.metrics_heading:
        d.heading("Incident Response Metrics")
    sub = 3 if st.metrics_heading else 2

    # Blast radius
    d.heading("Blast Radius", sub)
    blast = [("Number of Clinics affected", count("clinics", inc.clinics)),
             ("Number of Providers affected", count("providers", inc.providers)),
             ("Number of Patients affected", count("patients", inc.patients))]
    apps = o.get("apps", inc.scenario.apps)
    if st.kv == "tab":
        d.kv(blast)
        d.kv([("Apps/APIs Affected", apps)])
        if st.separators:
            d.blocks[-1].append("--------------------\t---")
    else:
        d.kv(blast + [("Apps/APIs Affected", apps)], header=("Metric", "Value"))

    # Timing
    d.heading("Timing of the response", sub)
    if st.kv == "tab" and st.instructions:
        d.add("", "")  # the template has a run of blank lines here
    labels = TIMING_LABELS_FULL if st.full_labels else TIMING_LABELS_SHORT
    d.kv([(labels[k], dur(k)) for k in ("detect", "respond", "understand", "partial", "solution", "full")],
         header=("Phase", "Time"))

    # Participants
    d.heading("Participants", sub)
    people = [("Number of TechOps engineers involved", count("techops", inc.techops)),
              ("Number of Software engineers involved", count("software", inc.software)),
              ("Number of Security engineers involved", count("security", inc.security))]
    teams_val = o.get("teams", ", ".join(inc.teams))
    if "teams" in st.omit:
        d.kv(people)
    elif st.kv == "tab":
        d.kv(people)
        d.kv([("Teams involved (list)", teams_val)])
        if st.separators:
            d.blocks[-1].append("-----------------------\t--------------")
    else:
        d.kv(people + [("Teams involved (list)" if st.full_labels else "Teams involved", teams_val)])

    # Findings
    b = st.bullet
    for title, instr, items in (("What went well?", INSTR_WELL, inc.went_well),
                                ("What didn't go well?", INSTR_WRONG, inc.went_wrong),
                                ("Where did we get lucky?", INSTR_LUCKY, inc.got_lucky),
                                ("Why did it happen?", INSTR_WHY, inc.why)):
        d.heading(title)
        if st.instructions:
            d.add(instr)
        d.add(*[f"{b} {esc(x, st)}" for x in items])

    # Action items
    d.heading("Action Items")
    for pri in ("P0", "P1", "P2"):
        items = [a for a in inc.actions if a.priority == pri]
        if not items:
            continue
        d.heading(PRI_HEADINGS[pri], sub)
        lines = []
        for a in items:
            n = (items.index(a) + 1) if st.restart_ai else (inc.actions.index(a) + 1)
            lines.append(action_line(a, n, st, rng))
        d.add(*lines)
    return d.text()


def action_line(a: Action, n: int, st: Style, rng: Random) -> str:
    ticket = f"[{a.ticket}](https://jira.example.com/browse/{a.ticket})" if rng.random() < st.ticket_links \
        else f"[{a.ticket}]"
    body = f"AI{n}: {a.description}, owner: {a.owner}, {ticket}"
    if a.status == "done":
        tail = f" done {a.completed.isoformat()}"
    elif a.status == "wontfix":
        tail = " " + rng.choice(["won't fix", "wontfix"])
    else:
        tail = ""
    if st.checkbox:
        box = "[x]" if a.status != "open" else "[ ]"
        return f"- {box} {body}{tail}"
    return f"- {body}{tail}"


def yq(value, flow: bool = False) -> str:
    """A YAML scalar as a person would type it: plain where safe, double-quoted otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    s = str(value)
    bad = ":#\"{}[]&*!|>%@`" + ("," if flow else "")
    plain = (re.fullmatch(r"[A-Za-z][^\n]*", s) and not any(c in s for c in bad)
             and s.lower() not in {"yes", "no", "true", "false", "on", "off", "null", "y", "n"}
             and not s.endswith(" "))
    if plain:
        return s
    if (re.fullmatch(r"\d[\w .]*", s) and re.search(r"[A-Za-z]", s)
            and not re.fullmatch(r"[\d.]+[eE][\d.]+", s)):  # '25 minutes', '1h 5m': plain text in YAML
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_front_matter(inc: Incident, rng: Random, st: Style) -> str:
    teams = ("[" + ", ".join(yq(t, flow=True) for t in inc.teams) + "]") if rng.random() < 0.6 else \
        "\n" + "\n".join(f"  - {yq(t)}" for t in inc.teams)
    fm = ["---", f"id: {inc.inc_id}", f"date: {inc.date.isoformat()}"]
    if "timezone" in inc.overrides:
        fm.append(f"timezone: {yq(inc.overrides['timezone'])}")
    elif inc.tz_written:
        fm.append(f"timezone: {yq(inc.tz_written)}")
    fm += [f"severity: {yq(inc.severity_written)}", f"teams: {teams}".replace("teams: \n", "teams:\n"), "---"]
    return "\n".join(fm) + "\n\n" + render_template(inc, st, rng)


def render_yaml(inc: Incident, rng: Random) -> str:
    o = inc.overrides
    L: list[str] = []
    add = L.append
    twelve = rng.random() < 0.35
    clock = (lambda dt: fmt_clock(dt, True)) if twelve else (lambda dt: fmt_clock(dt, False))
    flowmaps = rng.random() < 0.35  # the {name: .., state: ..} habit
    add(f"id: {inc.inc_id}")
    add(f"title: {yq(inc.title)}")
    name, url = inv_doc(inc, True)
    if "investigation_doc" in o:
        add(f"investigation_doc: {yq(o['investigation_doc'])}")
    elif rng.random() < 0.6:
        add("investigation_doc:")
        add(f"  name: {yq(name)}")
        add(f"  url: {url}")
    else:
        add(f"investigation_doc: {yq(name)}")
    add(f"author: {yq(inc.author)}")
    add(f"severity: {yq(inc.severity_written)}")
    add(f"date: {inc.date.isoformat()}")
    if inc.tz_written and "timezone" not in o:
        add(f"timezone: {yq(inc.tz_written)}")
    if inc.exclude:
        add("exclude_from_metrics: true")
    add("reviewers:")
    for n, s, on in inc.reviewers:
        if flowmaps:
            add(f"  - {{name: {n}, state: {s}" + (f", date: {on.isoformat()}}}" if on else "}"))
        else:
            add(f"  - name: {n}")
            add(f"    state: {s}")
            if on or rng.random() < 0.5:
                add(f"    date: {on.isoformat() if on else ''}".rstrip())
    if rng.random() < 0.6:
        add("impact_summary: >")
        L.extend("  " + ln for ln in textwrap.wrap(inc.impact, 88))
    else:
        add(f"impact_summary: {yq(inc.impact)}")
    add("timeline:")
    for at, kind, text in inc.events():
        if flowmaps:
            add(f'  - {{time: "{clock(at)}", event: {yq(text, flow=True)}}}')
        else:
            add(f'  - time: "{clock(at)}"')
            add(f"    event: {yq(text)}")
    start = inc.start_local
    res = inc.resolved_local
    with_date = rng.random() < 0.4
    add(f'started_at: "{start.date().isoformat() + " " if with_date else ""}{clock(start)}"')
    crosses = res.date() != start.date()
    add(f'resolved_at: "{res.date().isoformat() + " " if (with_date or crosses) else ""}{clock(res)}"')
    add("blast_radius:")
    for key, n in (("clinics", inc.clinics), ("providers", inc.providers), ("patients", inc.patients)):
        if key in o:
            add(f"  {key}: {yq(o[key])}")
        elif n >= 1000 and rng.random() < 0.5:
            add(f'  {key}: "{n:,}"')
        else:
            add(f"  {key}: {n}")
    apps = [a.strip() for a in inc.scenario.apps.split(",")]
    if apps == ["All"] and rng.random() < 0.5:
        add("  apps: All")
    elif rng.random() < 0.5:
        add("  apps: [" + ", ".join(apps) + "]")
    else:
        add("  apps:")
        L.extend(f"    - {a}" for a in apps)
    add("timing:")
    style = rng.choice(["int", "int", "mixed", "min", "short", "iso", "words"])
    for k in ("detect", "respond", "understand", "partial", "solution", "full"):
        key = YAML_TIMING_KEYS[k]
        if k in o:
            add(f"  {key}: {yq(o[k])}")
            continue
        st = rng.choice(["int"] + DUR_STYLES) if style == "mixed" else style
        v = inc.minutes[k]
        add(f"  {key}: {v}" if st == "int" else f"  {key}: {yq(fmt_duration(v, st))}")
    add("participants:")
    for key, n in (("techops_engineers", inc.techops), ("software_engineers", inc.software),
                   ("security_engineers", inc.security)):
        add(f"  {key}: {yq(o[key.split('_')[0]]) if key.split('_')[0] in o else n}")
    if rng.random() < 0.5:
        add("teams: [" + ", ".join(inc.teams) + "]")
    else:
        add("teams:")
        L.extend(f"  - {t}" for t in inc.teams)
    for key, items in (("went_well", inc.went_well), ("went_wrong", inc.went_wrong),
                       ("got_lucky", inc.got_lucky), ("why", inc.why)):
        add(f"{key}:")
        L.extend(f"  - {yq(x)}" for x in items)
    add("action_items:")
    for i, a in enumerate(inc.actions, 1):
        fields = [("id", f"AI{i}"), ("priority", a.priority), ("description", a.description),
                  ("owner", a.owner), ("ticket", a.ticket), ("status", a.status)]
        if a.completed:
            fields.append(("completed", a.completed))
        if flowmaps:
            add("  - {" + ", ".join(f"{k}: {yq(v, flow=True)}" for k, v in fields) + "}")
        else:
            add(f"  - {fields[0][0]}: {fields[0][1]}")
            L.extend(f"    {k}: {yq(v)}" for k, v in fields[1:])
    return "\n".join(L) + "\n"


def render_sre(inc: Incident, rng: Random) -> str:
    """A free-form post-mortem in the Google SRE book's example format (times in UTC)."""
    s = inc.scenario
    start = inc.start_local.astimezone(UTC)
    ev = [(inc.at(-rng.randint(3, 9)).astimezone(UTC), f"{s.trigger[0].upper()}{s.trigger[1:]}")]
    ev.append((start, f"OUTAGE BEGINS — {inc.impact.split('.')[0]}"))
    t = inc.minutes["detect"]
    ev.append((start + timedelta(minutes=t), f"{s.signal[0].upper()}{s.signal[1:]}; {inc.ic} paged"))
    t += inc.minutes["respond"] + inc.minutes["understand"]
    ev.append((start + timedelta(minutes=t), f"Root cause found: {s.cause}"))
    t += inc.minutes["solution"]
    ev.append((start + timedelta(minutes=t), f"Mitigation: {s.fix}"))
    ev.append((inc.resolved_utc, "OUTAGE ENDS, incident resolved"))
    authors = ", ".join(sorted({inc.author, inc.ic, TEAMS[inc.team][1][0]}))
    done = sum(a.status == "done" for a in inc.actions)
    status = "Complete, action items in progress" if done < len(inc.actions) else "Complete"
    types = ["mitigate", "prevent", "process", "detect"]
    L = [f"# {inc.title} Postmortem (incident {inc.inc_id})", "",
         f"**Date:** {inc.date.isoformat()}", "",
         f"**Authors:** {authors}", "",
         f"**Status:** {status}", "",
         f"**Summary:** {s.title} for {human_minutes(inc.total_min)}.", "",
         f"**Impact:** {inc.impact}", "",
         f"**Root Causes:** {inc.why[0]}", "",
         f"**Trigger:** {s.trigger[0].upper()}{s.trigger[1:]}.", "",
         f"**Resolution:** {s.fix[0].upper()}{s.fix[1:]}.", "",
         f"**Detection:** {s.signal[0].upper()}{s.signal[1:]}.", "",
         "## Action Items", "",
         "| Action | Type | Owner | Bug |", "|---|---|---|---|"]
    for i, a in enumerate(inc.actions):
        mark = "**DONE**" if a.status == "done" else "**TODO**"
        L.append(f"| {a.description} | {types[i % len(types)]} | {a.owner} | {a.ticket} {mark} |")
    L += ["", "## Lessons Learned", "", "### What went well", ""]
    L += [f"- {x}" for x in inc.went_well]
    L += ["", "### What went wrong", ""] + [f"- {x}" for x in inc.went_wrong]
    L += ["", "### Where we got lucky", ""] + [f"- {x}" for x in inc.got_lucky]
    L += ["", "## Timeline", "", f"{start.date().isoformat()} (all times UTC)", ""]
    L += [f"- {at.strftime('%H:%M')} {text}" for at, text in ev]
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------
# Formats and deliberate gaps
# ---------------------------------------------------------------------------

def style_for(fmt: str, rng: Random, inc: Incident) -> Style:
    us = inc.tz_written in ("PST", "PDT", "EST", "EDT", "America/Los_Angeles", "America/New_York")
    twelve = rng.random() < (0.85 if us else 0.25)
    common = dict(twelve=twelve, zero_pad=rng.random() < 0.8, dur_style=rng.choice(DUR_STYLES),
                  dur_mixed=rng.random() < 0.3, commas=rng.random() < 0.8,
                  date_in_timeline=rng.random() < 0.3, blank=rng.choice(["\n", "\n", "\n\n"]),
                  restart_ai=rng.random() < 0.7)
    if fmt == "txt":
        return Style(heading="plain", kv="tab", instructions=rng.random() < 0.7, full_labels=True, timeline="tab",
                     separators=rng.random() < 0.8, checkbox=False, link_doc=rng.random() < 0.3,
                     ticket_links=0.0, **common)
    if fmt == "md_tsv":
        return Style(heading=rng.choice(["plain", "h2", "bold"]), kv="tab", instructions=rng.random() < 0.5,
                     full_labels=rng.random() < 0.8, timeline="tab", separators=rng.random() < 0.5,
                     checkbox=rng.random() < 0.5, h1=rng.random() < 0.3, **common)
    if fmt == "md_pipe":
        return Style(heading="h2", kv="pipe", bold_labels=rng.random() < 0.3, instructions=rng.random() < 0.3,
                     full_labels=rng.random() < 0.5, timeline="bullet", checkbox=rng.random() < 0.7,
                     h1=rng.random() < 0.6, **common)
    if fmt == "md_bullets":
        return Style(heading=rng.choice(["bold", "h2"]), kv="bullet", bold_labels=rng.random() < 0.7,
                     instructions=rng.random() < 0.2, full_labels=False, timeline="bullet",
                     bullet=rng.choice(["-", "*"]), checkbox=rng.random() < 0.5, h1=rng.random() < 0.5,
                     tz_heading=rng.choice(["–", "-"]), **common)
    if fmt == "gdocs":
        return Style(heading="bold", kv="pipe", bold_labels=True, gdocs=True, instructions=rng.random() < 0.6,
                     full_labels=True, timeline="bullet", bullet="*", checkbox=False, **common)
    raise ValueError(fmt)


def fm_style(rng: Random, inc: Incident) -> Style:
    st = style_for(rng.choice(["md_tsv", "md_pipe", "md_bullets", "md_bullets"]), rng, inc)
    omit = [k for k in ("severity", "teams", "timezone") if rng.random() < 0.6]
    st.omit = tuple(omit)
    st.date_in_timeline = False
    st.title_in_body = True
    return st


# Gap id -> (format, description for the report, overrides)
GAPS = [
    ("P1", "txt", "placeholders: Clinics affected and Providers affected left as '< ## Unknown >'",
     {"clinics": "< ## Unknown >", "providers": "< ## Unknown >"}),
    ("P2", "md_tsv", "placeholders: Time to partial recovery '<put time here>', Security engineers '<put # here>'",
     {"partial": "<put time here>", "security": "<put # here>"}),
    ("P3", "md_pipe", "placeholders: Patients affected '< ## Unknown >', Apps/APIs Affected left as the template's "
                      "'<Patient/Provider> <Web/iOS/Android/CWS APIs/All>'",
     {"patients": "< ## Unknown >", "apps": "<Patient/Provider> <Web/iOS/Android/CWS APIs/All>"}),
    ("P4", "yaml", "placeholders: investigation_doc left as '<name + link to the investigation doc for this "
                   "incident>', security_engineers '<put # here>'",
     {"investigation_doc": "<name + link to the investigation doc for this incident>", "security": "<put # here>"}),
    ("P5", "md_bullets", "placeholders: Author left as '<Full name of the person facilitating the post-mortem "
                         "process>', reviewers table has only its header row (no reviewers), Time to partial "
                         "recovery '<put time here>'",
     {"author": "<Full name of the person facilitating the post-mortem process>", "reviewers": "",
      "partial": "<put time here>"}),
    ("P6", "txt", "placeholders: Resolved-at timeline row left as the template's 'HH:MM XM<TAB><Resolved at>' "
                  "(resolution time only derivable from the durations), Teams involved '<put # here>'",
     {"resolved_row": "<Resolved at>", "teams": "<put # here>"}),
    ("U1", "yaml", "unknown values: blast_radius.patients 'Unknown', blast_radius.clinics 'N/A'",
     {"patients": "Unknown", "clinics": "N/A"}),
    ("U2", "md_tsv", "unknown values: Time to partial recovery 'N/A', Providers affected 'TBD'",
     {"partial": "N/A", "providers": "TBD"}),
    ("U3", "fm", "unknown values: Security engineers 'N/A', Patients affected 'Unknown'",
     {"security": "N/A", "patients": "Unknown"}),
    ("T1", "txt", "no timezone: timeline heading left as 'All times are in <TTT (specify timezone)>' "
                  "(times are UTC, loader should warn and use UTC)",
     {"timezone": "<TTT (specify timezone)>"}),
    ("T2", "yaml", "no timezone: the 'timezone' key is missing (times are UTC, loader should warn and use UTC)",
     {"timezone": ""}),
    ("A1", "fm", "approximate: Time to detect '~15 min'", {"detect": "~15 min"}),
    ("A2", "gdocs", "approximate: Patients affected '~3,200'", {"patients": "~3,200"}),
    ("SRE", "sre", "free-form Google SRE book post-mortem: no severity, reviewers, blast-radius counts, apps, "
                   "phase durations, participants or teams; timeline in UTC ('OUTAGE BEGINS' / 'OUTAGE ENDS'); "
                   "action items TODO/DONE without priorities", {}),
]


def assign_formats(rng: Random, incidents: list[Incident]) -> None:
    n = len(incidents)
    # Special files first, spread over the period (the SRE one after the bad quarter).
    pool = list(range(n))
    rng.shuffle(pool)
    sre_idx = next(i for i in pool if date(2026, 4, 1) <= incidents[i].date <= date(2026, 6, 30))
    taken = {sre_idx}
    for gid, fmt, note, over in GAPS:
        if gid == "SRE":
            idx = sre_idx
        else:
            idx = next(i for i in pool if i not in taken and incidents[i].date < date(2026, 10, 1)
                       and (gid != "A1" or not any(t in TREND_TEAMS for t in incidents[i].teams)))
            taken.add(idx)
        inc = incidents[idx]
        inc.fmt = fmt
        inc.overrides = dict(over)
        inc.gap_note = note
        inc.impact = inc.scenario.impact  # no numbers in the prose that could contradict the gap
        if gid in ("T1", "T2"):  # undeclared timezone: the clocks are UTC
            inc.start_local = inc.start_local.astimezone(UTC)
            inc.tz_written = None
        if gid == "A1":
            inc.minutes["detect"] = 15
        if gid == "A2":
            inc.patients = 3200
    # Everything else, to reach ~45% template / ~25% front matter / ~30% YAML overall.
    targets = {"txt": 7, "md_tsv": 10, "md_pipe": 9, "md_bullets": 8, "gdocs": 6}
    targets["fm"] = round(n * 0.25)
    targets["yaml"] = n - sum(targets.values()) - 1  # -1: the SRE file
    have = Counter(inc.fmt for inc in incidents if inc.fmt)
    slots = [f for f, k in targets.items() for _ in range(max(0, k - have[f]))]
    rest = [inc for inc in incidents if not inc.fmt]
    while len(slots) < len(rest):
        slots.append("yaml")
    rng.shuffle(slots)
    for inc, fmt in zip(rest, slots):
        inc.fmt = fmt
    for inc in incidents:
        inc.ext = {"txt": "txt", "yaml": "yaml", "sre": "md"}.get(inc.fmt, "md")
        if inc.fmt == "yaml" and rng.random() < 0.3:
            inc.ext = "yml"
        if inc.fmt in ("md_tsv", "md_bullets") and rng.random() < 0.1:
            inc.ext = "markdown"


def make_drill(rng: Random) -> Incident:
    s = Scenario("Platform", "game-day-postgres-failover-drill",
                 "Game day: Postgres failover drill on the scheduling cluster", "Provider Web, Patient Web",
                 "Planned game day, no customer impact expected. We failed over the scheduling Postgres cluster "
                 "during low traffic to time our runbook; booking pages returned errors for about 4 minutes.",
                 "planned failover of the scheduling Postgres primary (game day)",
                 "synthetic booking check went red as expected",
                 "connection pools in the booking service held on to the old primary",
                 "booking service pods restarted to pick up the new primary",
                 ["Connection pools in the booking service do not re-resolve the primary on failover.",
                  "The failover runbook assumed clients reconnect on their own."],
                 ["Make the booking service reconnect on failover without a restart",
                  "Update the failover runbook with the restart step",
                  "Repeat the drill next quarter"])
    name, tz = zone_for("UTC", date(2026, 5, 13))
    inc = Incident(s, datetime(2026, 5, 13, 6, 0, tzinfo=tz), name)
    inc.severity, inc.severity_written = "SEV3", "SEV3"
    inc.teams = ["Platform", "Scheduling"]
    inc.author, inc.ic = "Aisha Bello", "Jonas Weber"
    inc.minutes = {"detect": 2, "respond": 1, "understand": 9, "solution": 6, "full": 4, "partial": 5}
    inc.detail = 2
    inc.response_text = "Jonas Weber (IC for the drill) opened #gameday-pg-failover"
    inc.partial_text = "Partial recovery: half of the booking pods reconnected"
    inc.resolved_note = "drill complete, all checks green"
    inc.clinics, inc.providers, inc.patients = 0, 0, 0
    inc.techops, inc.software, inc.security = 2, 3, 0
    inc.impact = s.impact
    inc.inc_id = "DRILL-2026-01"
    inc.fmt, inc.ext, inc.exclude = "drill", "yaml", True
    inc.gap_note = "game-day drill with exclude_from_metrics: true (must stay out of the metrics)"
    return inc


# ---------------------------------------------------------------------------
# Designed repeats (REPEATS) and the ground truth
# ---------------------------------------------------------------------------

REPEAT_FORMATS = [("txt", 1), ("md_tsv", 2), ("md_pipe", 2), ("md_bullets", 2), ("gdocs", 1), ("fm", 3), ("yaml", 4)]


def make_repeats(rng: Random, incidents: list[Incident]) -> list[Incident]:
    """The incidents of REPEATS, each ``offset_days`` from its ``repeats_of`` incident (in the same
    team's section), with an id between its neighbours' (the day moved by the fewest days that leaves a
    free number) and a format of its own; ``rng`` is theirs alone."""
    by_slug = {inc.slug: inc for inc in incidents}
    made: list[Incident] = []
    for s in (s for team in load_scenarios(REPEATS).values() for s in team):
        anchor = by_slug[s.repeats_of]
        d = anchor.date + timedelta(days=s.offset_days)
        bad = is_bad_quarter(d)
        sev = wchoice(rng, [("SEV1", 3 if bad else 1), ("SEV2", 4), ("SEV3", 3 if bad else 5)])
        inc = make_incident(rng, d, s.team, sev, s)
        place_with_free_id(inc, incidents + made, anchor)
        inc.fmt = wchoice(rng, REPEAT_FORMATS)
        inc.ext = {"txt": "txt", "yaml": "yaml"}.get(inc.fmt, "md")
        made.append(inc)
        by_slug[s.slug] = inc
    return made


def place_with_free_id(inc: Incident, others: list[Incident], anchor: Incident) -> None:
    """Give ``inc`` the lowest id number free between the incidents just before and after it in its
    year (ids run in time order), moved up to two weeks later, else a week earlier, where there is none;
    it stays on the same side of ``anchor``."""
    after_anchor = inc.date > anchor.date
    for shift in [*range(15), *range(-1, -8, -1)]:
        start = inc.start_local + timedelta(days=shift)
        d = start.date()
        if (d > anchor.date) != after_anchor or not FIRST_DAY <= d <= LAST_DAY:
            continue
        at = start.astimezone(UTC)
        year = [(o.start_local.astimezone(UTC), int(o.inc_id.rsplit("-", 1)[1])) for o in others
                if o.inc_id.startswith(f"INC-{d.year}-")]
        before = max((n for t, n in year if t < at), default=0)
        after = min((n for t, n in year if t >= at), default=999)
        if after - before > 1:
            inc.start_local = start
            inc.inc_id = f"INC-{d.year}-{before + 1:03d}"
            return
    raise SystemExit(f"no free incident id near {inc.date} for {inc.slug}")


def settle_earlier_items(incidents: list[Incident]) -> None:
    """Make each designed repeat's earlier P0/P1 items what its ``P:`` line says, as of the later
    incident's day: all done before it; or all but one named item (made a P1 if it was a P2), which is
    finished four days after the repeat when that is before TODAY, else still open."""
    by_slug = {inc.slug: inc for inc in incidents}
    for designed in [inc for inc in incidents if inc.scenario.earlier_items]:
        earlier, later = sorted((designed, by_slug[designed.scenario.repeats_of]),
                                key=lambda i: i.start_local.astimezone(UTC))
        state, _, named = designed.scenario.earlier_items.partition(" ")
        if state == "open" and not any(a.description == named for a in earlier.actions):
            raise SystemExit(f"{designed.slug}: P: names no action of {earlier.slug}: {named!r}")
        for a in earlier.actions:
            if state == "open" and a.description == named:
                if a.priority == "P2":
                    a.priority, a.due = "P1", earlier.resolved_utc + timedelta(hours=DEADLINE_HOURS["P1"])
                finished = later.date + timedelta(days=4)
                a.status, a.completed = ("done", finished) if finished <= TODAY else ("open", None)
            elif a.priority in ("P0", "P1") and a.status != "wontfix" and (a.status != "done" or a.completed >= later.date):
                a.status = "done"
                a.completed = max(earlier.resolved_local.date(), min(a.due.date(), later.date - timedelta(days=1)))


def families(incidents: list[Incident]) -> list[list[Incident]]:
    """Incidents linked by ``repeats_of`` (R:), each family in time order, families by their first."""
    by_slug = {inc.slug: inc for inc in incidents}
    parent = {inc.slug: inc.slug for inc in incidents}

    def root(slug: str) -> str:
        while parent[slug] != slug:
            slug = parent[slug]
        return slug

    for inc in incidents:
        if inc.scenario.repeats_of:
            parent[root(inc.slug)] = root(inc.scenario.repeats_of)
    groups: dict[str, list[Incident]] = {}
    for inc in incidents:
        groups.setdefault(root(inc.slug), []).append(inc)
    found = [sorted(g, key=lambda i: i.start_local.astimezone(UTC)) for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: g[0].start_local.astimezone(UTC))


def p0_p1_state(earlier: Incident, later: Incident) -> str:
    """The earlier incident's P0/P1 items (won't fix left out) on the later one's day: ``none``, ``open``
    (some not done before that day) or ``done``."""
    items = [a for a in earlier.actions if a.priority in ("P0", "P1") and a.status != "wontfix"]
    if not items:
        return "none"
    return "open" if any(a.status != "done" or a.completed >= later.date for a in items) else "done"


def ground_truth(incidents: list[Incident]) -> dict:
    """What the recurrence detector should find in the sample: every (later, earlier) pair of a family,
    by file name, with the earlier P0/P1 items' state on the later day."""
    found = families(incidents)
    return {
        "about": "Designed repeats in the bundled sample (data/), written by scripts/generate_sample_data.py: "
                 "each family is one failure that happened more than once; every later member repeats every "
                 "earlier one. earlier_p0_p1: the earlier post-mortem's P0/P1 items (won't fix left out) on the "
                 "later one's day: done (all done before it), open (some not), none.",
        "families": [[inc.filename for inc in family] for family in found],
        "pairs": [{"later": later.filename, "earlier": earlier.filename, "earlier_p0_p1": p0_p1_state(earlier, later)}
                  for family in found for k, later in enumerate(family) for earlier in family[:k]],
    }


# ---------------------------------------------------------------------------
# Self-check: re-read the written files and verify start + phases == resolution
# ---------------------------------------------------------------------------

_TERM = re.compile(r"(\d+(?:\.\d+)?)\s*(hours?|hrs?|hr|h|minutes?|mins?|min|m)\b", re.I)


def check_duration(value) -> float | None:
    if isinstance(value, int):
        return float(value)
    s = str(value).strip().lstrip("~").strip()
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?", s)
    if m:
        return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
    m = re.fullmatch(r"(\d+):(\d\d)", s)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2))
    terms = _TERM.findall(s)
    if terms and _TERM.sub("", s).strip() == "":
        return sum(float(n) * (60 if u.lower().startswith("h") else 1) for n, u in terms)
    return None


def check_clock(text: str) -> int | None:
    m = re.search(r"(\d{1,2}):(\d{2})\s*([AP]M)?", text)
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    if m.group(3):
        h = h % 12 + (12 if m.group(3) == "PM" else 0)
    return h * 60 + mi


def check_file(path: Path) -> str | None:
    """None when consistent, 'skip: ...' when not checkable, or an error message."""
    text = path.read_text(encoding="utf-8")
    dur: dict[str, float | None] = {}
    start = end = None
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml  # noqa: PLC0415
        except ImportError:
            return "skip: PyYAML not installed"
        doc = yaml.safe_load(text)
        for key in ("id", "title", "date", "severity"):
            if not doc.get(key):
                return f"missing {key}"
        start, end = check_clock(doc["started_at"]), check_clock(doc["resolved_at"])
        for k, key in YAML_TIMING_KEYS.items():
            dur[k] = check_duration(doc["timing"].get(key))
    else:
        for raw in text.splitlines():
            line = re.sub(r"\\(.)", r"\1", raw).replace("**", "")
            m = re.match(r"^\s*(?:[-*]\s+)?(?:\d{4}-\d{2}-\d{2}\s+)?(\d{1,2}:\d{2}(?:\s*[AP]M)?)\s*(?:\t|[—–]\s*)(.*)$",
                         line)
            if m and m.group(2).startswith("Started at"):
                start = check_clock(m.group(1))
            if m and m.group(2).startswith("Resolved at"):
                end = check_clock(m.group(1))
            for k, lab in TIMING_LABELS_SHORT.items():
                if lab in line:
                    if "\t" in line:
                        val = line.split("\t")[-1]
                    elif line.strip().startswith("|"):
                        val = line.strip().strip("|").split("|")[-1]
                    else:
                        val = line.split(lab, 1)[1].split(":", 1)[1]
                    dur[k] = check_duration(val.strip())
        if "OUTAGE BEGINS" in text:
            return "skip: free-form (no phase durations)"
    if start is None or end is None:
        return "skip: no start or resolution clock"
    missing = [k for k in PHASES if dur.get(k) is None]
    if missing:
        return f"skip: phase durations not given ({', '.join(missing)})"
    total = sum(dur[k] for k in PHASES)
    span = (end - start) % 1440
    if abs(span - total % 1440) > 0.01 or total >= 1440:
        return f"start + phases = {total:g} min but the timeline spans {span} min"
    if dur.get("partial") is not None and not 0 < dur["partial"] < total - dur["detect"] - dur["respond"]:
        return "partial recovery not before full recovery"
    return None


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def render(inc: Incident, rng: Random) -> str:
    if inc.fmt in ("yaml", "drill"):
        return render_yaml(inc, rng)
    if inc.fmt == "sre":
        return render_sre(inc, rng)
    if inc.fmt == "fm":
        return render_front_matter(inc, rng, fm_style(rng, inc))
    return render_template(inc, style_for(inc.fmt, rng, inc), rng)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data"),
                    help="output folder (default: data/ of the repository)")
    ap.add_argument("--truth", default=str(TRUTH),
                    help="where the designed repeats are written, as JSON (default: scripts/sample_repeats.json; "
                         "never inside the output folder, whose every file is read as a post-mortem)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rng = Random(SEED)
    incidents = make_incidents(rng)
    assign_formats(rng, incidents)
    incidents.append(make_drill(rng))
    for inc in incidents:
        fill_people_and_findings(rng, inc)
    for inc in incidents:
        if inc.fmt == "sre" and all(a.status == "done" for a in inc.actions):
            inc.actions[-1].status, inc.actions[-1].completed = "open", None  # a TODO row, as in the book
    if any(i.fmt == "drill" for i in incidents):
        drill = next(i for i in incidents if i.fmt == "drill")
        for a in drill.actions:  # a drill's follow-ups: keep them simple
            a.priority = "P1" if a.priority == "P0" else a.priority
    repeat_rng = Random(REPEAT_SEED)
    repeats = make_repeats(repeat_rng, incidents)
    for inc in repeats:
        fill_people_and_findings(repeat_rng, inc)
    settle_earlier_items(incidents + repeats)

    names = [inc.filename for inc in incidents + repeats]
    assert len(set(names)) == len(names), "duplicate file names"
    ids = [inc.inc_id for inc in incidents + repeats]
    assert len(set(ids)) == len(ids), "duplicate ids"

    removed = 0
    for old in sorted(out.iterdir()):
        if old.is_file() and GENERATED_NAME.match(old.name):
            old.unlink()
            removed += 1
    for inc in incidents:
        (out / inc.filename).write_text(render(inc, rng), encoding="utf-8")
    for inc in repeats:
        (out / inc.filename).write_text(render(inc, repeat_rng), encoding="utf-8")
    incidents = sorted(incidents + repeats, key=lambda i: (i.date, i.filename))
    truth = ground_truth(incidents)
    Path(args.truth).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")

    # Self-check from disk.
    problems, skipped = [], []
    for inc in incidents:
        res = check_file(out / inc.filename)
        if res and res.startswith("skip"):
            skipped.append(f"{inc.filename}: {res}")
        elif res:
            problems.append(f"{inc.filename}: {res}")

    summarize(incidents, out, removed, problems, skipped)
    print(f"\nDesigned repeats ({len(truth['pairs'])} pairs, written to {args.truth}):")
    for family in families(incidents):
        print("  " + "  <-  ".join(f"{i.date} {i.slug}" for i in reversed(family)))
    return 1 if problems else 0


def summarize(incidents: list[Incident], out: Path, removed: int, problems: list[str], skipped: list[str]) -> None:
    real = [i for i in incidents if not i.exclude]
    fam = {"txt": "template .txt", "md_tsv": "template .md (tab rows)", "md_pipe": "template .md (pipe tables)",
           "md_bullets": "template .md (Label: value bullets)", "gdocs": "template .md (Google Docs export)",
           "sre": "free-form .md (Google SRE book)", "fm": "front-matter .md", "yaml": "YAML",
           "drill": "YAML (drill, excluded)"}
    print(f"Wrote {len(incidents)} post-mortems to {out} (removed {removed} previously generated files)")
    print(f"  period {min(i.date for i in real)} .. {max(i.date for i in real)}")
    print("\nPer format:")
    fc = Counter(i.fmt for i in incidents)
    groups = {"template (.md/.txt)": ["txt", "md_tsv", "md_pipe", "md_bullets", "gdocs", "sre"],
              "front matter": ["fm"], "YAML": ["yaml", "drill"]}
    for g, fmts in groups.items():
        k = sum(fc[f] for f in fmts)
        print(f"  {g:<22} {k:3d}  ({k / len(incidents):.0%})")
        for f in fmts:
            if fc[f]:
                print(f"      {fam[f]:<38} {fc[f]:3d}")
    print("  extensions: " + ", ".join(f".{e} {n}" for e, n in sorted(Counter(i.ext for i in incidents).items())))
    # Counted as the files state them: the SRE-format file names no teams or severity, one file has a
    # '<put # here>' for its teams; the drill is left out.
    def teams_written(i: Incident) -> list[str]:
        return [] if i.fmt == "sre" or "teams" in i.overrides else i.teams

    print("\nPer team (incidents involving the team / owned by it, as the files state it):")
    inv = Counter(t for i in real for t in teams_written(i))
    own = Counter(teams_written(i)[0] for i in real if teams_written(i))
    for t in TEAMS:
        print(f"  {t:<14} {inv[t]:3d} / {own[t]:3d}")
    print(f"  (none given)   {sum(not teams_written(i) for i in real):3d}")
    print("\nPer severity:")
    sc = Counter(None if i.fmt == "sre" else i.severity for i in real)
    for s in ("SEV1", "SEV2", "SEV3", None):
        print(f"  {s or '(none)'}  {sc[s]:3d}  ({sc[s] / len(real):.0%})")
    print("\nPer quarter (incidents, SEV1s, median duration min, median TTD min):")
    for q in sorted({i.quarter for i in real}):
        qs = [i for i in real if i.quarter == q]
        print(f"  {q}  {len(qs):3d}  SEV1 {sum(i.severity == 'SEV1' for i in qs):2d}  "
              f"dur {median(i.total_min for i in qs):6.0f}  ttd {median(i.minutes['detect'] for i in qs):5.0f}")
    print("\nMedian time to detect, Payments & Platform incidents, by half-year:")
    for t in TREND_TEAMS:
        row = []
        for y, h in ((2025, 1), (2025, 2), (2026, 1), (2026, 2)):
            xs = [i.minutes["detect"] for i in real if t in i.teams and i.date.year == y and (i.date.month > 6) == (h == 2)]
            row.append(f"{y}H{h} {median(xs):4.0f} (n={len(xs)})" if xs else f"{y}H{h}    -")
        print(f"  {t:<9} " + "   ".join(row))
    durs = sorted(i.total_min for i in real)
    print(f"\nDurations: median {median(durs):.0f} min, 30-180 min: {sum(30 <= d <= 180 for d in durs)}, "
          f"> 8 h: {sum(d > 480 for d in durs)} (max {durs[-1] / 60:.1f} h); "
          f"crossing midnight: {sum(i.resolved_local.date() != i.start_local.date() for i in real)}")
    acts = [(i, a) for i in real for a in i.actions]
    late = sum(a.status == "done" and a.completed > a.due.date() for _, a in acts)
    overdue = sum(a.status == "open" and a.due.date() < TODAY for _, a in acts)
    notdue = sum(a.status == "open" and a.due.date() >= TODAY for _, a in acts)
    st = Counter(a.status for _, a in acts)
    print(f"Action items: {len(acts)} (done {st['done']}, of which late {late}; open {st['open']}: "
          f"overdue {overdue}, not yet due {notdue}; wontfix {st['wontfix']})")
    print("Timezones: " + ", ".join(f"{k} {v}" for k, v in
                                     sorted(Counter(i.tz_written or '(none)' for i in incidents).items())))
    print("\nDeliberate gaps:")
    for i in incidents:
        if i.gap_note:
            print(f"  {i.filename}: {i.gap_note}")
    print(f"\nSelf-check (start + detect + response + understand + solution + full recovery == resolved): "
          f"{len(incidents) - len(problems) - len(skipped)} consistent, {len(skipped)} not checkable, "
          f"{len(problems)} inconsistent")
    for s in skipped:
        print(f"  {s}")
    for p in problems:
        print(f"  ERROR {p}")


if __name__ == "__main__":
    sys.exit(main())
