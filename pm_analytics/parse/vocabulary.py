"""The words post-mortems use: field labels, section titles, timeline words, the template's prompts.

Each table is data, matched against a label or title in the normalised form
of :func:`normalise_label` (lower case, no parenthesised explanation, no
punctuation), first match wins. Adding a spelling is adding a row here; the
tests in ``tests/test_reader_rules.py`` hold one example per row.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pm_analytics.parse.patterns import Gated
from pm_analytics.parse.values import clean

# (pattern over the normalised label, dotted key). Patterns are anchored at the start.
FIELD_LABELS = [
    (r"investigation doc(ument)?s?( link)?$", "investigation_doc"),
    (r"(incident |document )?title$|incident name$", "title"),
    (r"(incident |postmortem |post mortem )?(id|number|no|ref|reference)$", "id"),
    (r"(authors?|facilitators?|written by|owner of (the )?post ?mortem|post ?mortem owner|prepared by)$", "author"),
    (r"(incident )?sev(erity)?( level| rating)?$|(incident )?priority( level)?$|impact level$", "severity"),
    (r"(incident |outage |event )?date$|date of (the )?(incident|outage|event)$|date time$|date and time$|when$",
     "date"),
    (r"(time ?zone|tz|times|all times|times in)$", "timezone"),
    (r"(incident |outage |impact )?(time|window|time window|period)$|times? of (the )?(incident|outage)$", "window"),
    (r"(number of )?clinics( affected| impacted)?$", "blast_radius.clinics"),
    (r"(number of )?providers( affected| impacted)?$", "blast_radius.providers"),
    (r"(number of )?patients( affected| impacted)?$", "blast_radius.patients"),
    (r"(apps ?/? ?apis|apps|apis|applications)( affected| impacted)?$", "blast_radius.apps"),
    (r"(time to detect(ion)?|mttd|ttd)( the issue)?$", "timing.time_to_detect"),
    (r"time to (response|respond|acknowledge|acknowledgement|ack|engage)$|mtta$|tta$", "timing.time_to_response"),
    (r"time to (understand|identify|diagnose)( the issue| the (root )?cause)?$|ttu$", "timing.time_to_understand"),
    (r"time to partial recovery$", "timing.time_to_partial_recovery"),
    # Counted from the start (Kehoe's TTD / TTM / TTR), unlike the template's partial recovery.
    (r"(time to mitigat(e|ion)|mttm|ttm)$", "timing.time_to_mitigate"),
    (r"time to (solution|fix)$", "timing.time_to_solution"),
    (r"time to full recovery$", "timing.time_to_full_recovery"),
    (r"(time to (recovery|recover|repair|resolve|resolution|restore)( service)?|(total |outage |incident |impact )?duration( of .*)?|"
     r"mttr|ttr|downtime|total downtime|length of (the )?(outage|incident))$", "timing.total_duration"),
    (r"(number of )?tech ?ops engineers( involved)?$", "participants.techops_engineers"),
    (r"(number of )?software engineers( involved)?$", "participants.software_engineers"),
    (r"(number of )?security engineers( involved)?$", "participants.security_engineers"),
    (r"teams?( involved| affected)?( list)?$", "teams"),
    (r"(started at|start(ed)?|start time|(incident|outage|impact) start(ed)?( at| time)?|start of (impact|incident|outage)|"
     r"began|began at)$", "started_at"),
    (r"(detected at|detected|detection time|time detected|time of detection|first detected|alerted at|triggered|"
     r"triggered at|when was (the )?(incident|issue|outage|problem) detected)$", "detected_at"),
    (r"(resolved at|resolved|end(ed)?|end time|resolution time|time resolved|(incident|outage|impact) "
     r"(end|ended|resolved)( at| time)?|end of (impact|incident|outage)|recovered at|stop|stopped|finish|finished)$",
     "resolved_at"),
    (r"(mitigated at|time mitigated|partial recovery at|partially recovered at)$", "mitigated_at"),
    (r"(exclude from metrics|drill)$", "exclude_from_metrics"),
    (r"(tags?|labels?)$", "tags"),
]
_FIELD_LABELS_RX = [(re.compile(p), key) for p, key in FIELD_LABELS]

# Section titles: (pattern over the normalised title, section, action-item priority).
SECTIONS = [
    (r"reviewers?( list of stakeholders)?$|(list of )?stakeholders$|approvals?$|sign ?offs?$", "reviewers", None),
    (r"(customer |user |business )?impact( summary| assessment| analysis)?$|who was affected$|blast radius summary$",
     "impact_summary", None),
    (r"(executive |incident |tl ?dr )?summary$|overview$|description$|what happened$|incident description$|"
     r"issue summary$|summary of (the )?(incident|issue|outage|event|impact)$|background and summary$|tl dr$",
     "summary", None),
    (r"(detailed |incident |event |response )?timeline( summary| of events)?\b.*$|chronology\b.*$|sequence of events\b.*$|"
     r"incident log\b.*$|event log\b.*$|status updates?$|updates?$|how did we respond$|how we responded$|"
     r"what happened when$", "timeline", None),
    (r"incident response metrics$|incident details$|details$|basic information$|key (facts|data|metrics)$|"
     r"metadata$|incident (info|information|metadata)$|at a glance$|stats$|statistics$", "fields", None),
    (r"blast radius$", "fields", None),
    (r"timing( of the response)?$|response times?$|(response |incident )?metrics$", "fields", None),
    (r"participants$|people involved$|responders$", "fields", None),
    (r"teams? involved( list)?$", "teams", None),
    (r"what went well$|things that went well$|what worked( well)?$|went well$", "went_well", None),
    (r"what (did not|didn t|didnt) go (so )?well$|what went (wrong|poorly|badly)$|things that went wrong$|"
     r"what (could|can) (have gone|go|be done) better$|what didn t work$|went wrong$|areas? (for|of) improvement$",
     "went_wrong", None),
    (r"where (did )?we (get|got) lucky$|where we got lucky$|what was lucky$|lucky$", "got_lucky", None),
    (r"why did it happen$|(root|underlying) causes?( analysis)?$|rca$|contributing factors$|trigger$|5 whys$|"
     r"five whys$|cause$|causes$|what went wrong and why$|technical details$|root cause and resolution$",
     "why", None),
    (r"lessons learn(ed|t)$|learnings$|takeaways$", "why", None),
    (r"p([0-2]) action items?\b.*$", "action_items", "P{0}"),
    (r"((action|follow ?up|corrective|preventive|preventative|remediation|review) (items?|tasks?|actions?|measures)|"
     r"action items?|actions|actionables?|follow ?ups?|remediations?|corrective and prevent(at)?ive (measures|actions)|"
     r"prevent(at)?ive (measures|actions)|next steps|what s next|what comes next|"
     r"what (we|we re|we are|we will be|we ll be|we have been|i|i m|i am|i ll|i will) "
     r"(doing|changing|going to do|fixing|improving)|changes we (are|re|will be) making|"
     r"how (we|are we) (are )?(making|preventing|reducing)|how we (will|ll) prevent|preventing (this|recurrence)|"
     r"to (stop|prevent) this|improvements|to ?dos?|work items|mitigations and follow ?ups?|measures|"
     r"(our )?commitments|countermeasures?|recurrence prevention|prevention|preventing recurrence)\b.*$",
     "action_items", None),
    (r"(resolution|detection|recovery|supporting information|glossary|background|appendix|notes|status|"
     r"references|links|related( documents| incidents)?|communications?|further reading|how did we respond|"
     r"how we responded|response|mitigation|remediation and recovery)$", "ignored", None),
]
_SECTIONS_RX = [(re.compile(p), s, prio) for p, s, prio in SECTIONS]
TEXT_SECTIONS = frozenset({"impact_summary", "summary", "went_well", "went_wrong", "got_lucky", "why", "ignored"})
# Sections whose headings a sub-heading of the timeline switches to (a phase heading such as
# "Detection" inside the timeline stays in it).
MAJOR_SECTIONS = frozenset({"reviewers", "impact_summary", "summary", "went_well", "went_wrong", "got_lucky", "why",
                            "action_items", "teams"})

# Sub-headings of an action-item section that say the status of the items under them.
ACTION_GROUPS = [
    (r"(immediate|short term|long term|medium term|later|future)?\s*(done|completed?|finished|resolved|shipped)$", "done"),
    (r"(immediate|short term|long term|medium term|later|future|ongoing)?\s*(in progress|open|planned|todo|to do|"
     r"pending|not started|next|upcoming)$", "open"),
    (r"(immediate|short term|long term|medium term|later|future|ongoing)( actions?| items?| fixes?| term)?$", None),
]
_ACTION_GROUPS_RX = [(re.compile(p), status) for p, status in ACTION_GROUPS]

# Sentences the template itself asks the author; they are instructions, not content.
INSTRUCTIONS = [
    "high level of the impact this is not for investigation sake but to give context for the severity",
    "this should be a compressed version of the investigation doc timeline",
    "short version of what has happened well",
    "short version of what did not go well",
    "if things could have been much worse detail them as well",
    "summarize all the things that led to this problem in depth",
    "e g oncall identified the impact within 3 minutes",
    "e g it took us an hour to understand that the root cause",
    "e g it happened on off hours and only 5 of our user base",
    "e g what did we learn about our ability to handle outages",
    "e g what went wrong with handling the outage in terms of organization",
    "some text here",
    "name state not reviewed lgtm date",
]

_PARENTHESISED = re.compile(r"\([^)]{0,300}\)?")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=8192)
def normalise_label(text: str) -> str:
    """Lower case, no parenthesised explanation, no punctuation: the form labels are matched in."""
    text = clean(text[:300]).lower()
    if "(" in text:
        text = _PARENTHESISED.sub(" ", text)
    return _NOT_ALNUM.sub(" ", text).strip()


@lru_cache(maxsize=8192)
def field_for_label(label: str) -> str | None:
    """The raw key a label names (``"Time to detect the issue (...)"`` -> ``timing.time_to_detect``)."""
    if len(label) > 300:
        return None
    norm = normalise_label(label)
    if len(norm) > 80:
        return None
    for rx, key in _FIELD_LABELS_RX:
        if rx.match(norm):
            return key
    return None


_NUMBERING = re.compile(r"^(?:\d{1,2}(?: \d{1,2}){0,2}|[ivx]{1,4}|[a-h]) (?=[a-z])")


@lru_cache(maxsize=8192)
def section_for_title(title: str) -> tuple[str, str | None] | None:
    """``(section, priority)`` a heading names (a leading number such as ``2.`` or ``II.`` ignored), or
    ``None`` for a title that is no known section."""
    if len(title) > 300:
        return None
    norm = _NUMBERING.sub("", normalise_label(title))
    if not norm or len(norm) > 120:
        return None
    for rx, section, prio in _SECTIONS_RX:
        m = rx.match(norm)
        if m:
            return section, prio.format(*m.groups()) if prio else None
    return None


_BRACKETED = re.compile(r"\(([^)]{0,40})\)")


@lru_cache(maxsize=1024)
def action_group(title: str) -> tuple[bool, str | None]:
    """Whether a sub-heading of action items is a group (Immediate, Long-term, Completed ...), and the
    status it gives its items (``done``/``open``, or ``None`` when it says none)."""
    norm = normalise_label(title.replace("-", " "))
    bracketed = _BRACKETED.findall(title)
    for rx, status in _ACTION_GROUPS_RX:
        if rx.fullmatch(norm):
            for inner in bracketed:
                inner_status = action_group(inner)[1]
                if inner_status:
                    return True, inner_status
            return True, status
    return False, None


@lru_cache(maxsize=8192)
def is_instruction(text: str) -> bool:
    norm = normalise_label(text)
    return norm.startswith(tuple(INSTRUCTIONS)) or norm in ("", "e g")


# Who meets a failure before engineering does.
_REPORTER = (r"(?:customer success|customer support|customer care|customer service|support|service ?desk|help ?desk|"
             r"customers?|clinics?|clinic staff|users?|patients?|providers?|account (?:managers?|team))(?: team)?")
# What the failing thing does, after "Reminder emails to patients" or "Calls to the nurse line": there the
# emails and calls are what failed, not someone writing or calling in.
_FAILS = (r"(?:stop|stops|stopped|fail|fails|failed|failing|(?:start|starts|started|begin|begins|began) (?:to )?fail|"
          r"time out|times out|timed out|bounce|bounces|bounced|drop|drops|dropped|error|errors|errored|"
          r"(?:are|were|is|was) (?:not|no longer) (?:sent|delivered|connected|answered|going out))\b")
# ... within a few words ("Reminder emails to patients stop sending"), none of them a reporter's ("Clinic
# emails to ask why reminders stopped", "posts on the forum that logins fail").
_NOT_WHAT_FAILS = (r"(?!(?:[ \t]+(?!(?:ask|asks|asking|report|reports|reporting|say|says|saying|tell|tells|complain|"
                   r"complains|about|that|whether|why|because|as|since|after|when)\b)[\w'-]+){0,4}"
                   r"[ \t]+" + _FAILS + ")")
# Timeline words -> the moment they mark. Matched anywhere in a row's event text (lower case); the
# first row of a kind wins, except resolution, where the last one does. The template's own rows
# ("Started at", "Resolved at") are explicit fields, not words.
_SYMPTOM = (r"(?:errors?|5\d\d s?|5xx|50\ds|\d{3}s|timeouts?|failures?|drops?|packet drops|latency|outage|incident|impact|"
            r"degradation|disruption|issues?|problems?|crashes|exceptions|retries|requests|calls|writes|reads|"
            r"sign-?ins|logins|log-?ins|payments|deliveries|uploads|downloads|checks|queries|jobs|pages)")
TIMELINE_WORDS = [
    ("resolved", r"\b(?:outage|incident|impact|disruption|issue) ends?\b|\ball systems (?:are )?(?:fully )?operational\b|"
                 r"\b(?:fully|completely) (?:resolved|recovered|restored|operational)\b|\bfull(?:y)? recovery\b|"
                 r"^(?:the )?(?:incident|issue|outage|problem) (?:was |is |has been )?(?:resolved|closed|over|fixed)\b|"
                 r"^resolved\b|\bresolved\b(?! for| to\b| as\b)|\ball clear\b|\bend of (?:the )?(?:impact|incident|outage)\b|"
                 r"\bimpact (?:ended|ends|stopped)\b|\bback to (?:normal|baseline)\b|\breturned to normal\b|"
                 r"^(?:the |all )?(?:service|services|system|systems|everything) (?:was |were |is |are |has |have )?"
                 r"(?:been )?(?:restored|recovered)\b|"
                 r"^recovered(?=\s*(?:$|[^\w\s])|\s+(?:fully|completely|again|now|after|as|once|following|at|by|"
                 r"within|around|in|when|with|without)\b)|"
                 r"\berror rates? (?:returned|back) to (?:normal|baseline)\b|\bmetrics back to baseline\b|"
                 r"\b(?:errors|failures|duplicates|timeouts) (?:stopped|stop|ceased|cease)\b|"
                 r"\b(?:errors?|error rates?|failures?|5xx|5\d\d s|timeouts?|exceptions) (?:drop|drops|dropped|fell|falls|fall) "
                 r"to (?:zero|0|baseline|normal)\b|\berror rates? (?:is |was )?(?:at|back at) (?:zero|0)\b|"
                 r"\b(?:incident|issue|outage) (?:was |is |has been )?closed\b|\bworking normally\b|\bflowing normally\b|"
                 r"\b(?:is|was|were|are) (?:now )?working (?:again|normally)\b|\bhad (?:fully )?recovered\b|"
                 r"\bproblem ended\b|\b(?:issue|incident|problem) (?:was|has been|is) fixed\b|"
                 r"\bdeclared? (?:full )?recovery\b|\brecovery (?:was )?declared\b|\b(?:is|was|were|are) back online\b|"
                 r"\bservices? (?:was |were |is |are )?back\b|\bevery (?:service|system) (?:was|is) back\b|"
                 r"\bbuilds? (?:are |were )?green again\b|\bend of (?:the )?outage\b"),
    ("mitigated", r"\bmitigat(?:ed|ion)\b|\bpartial(?:ly)? (?:recover|restor)|\bpartial recovery\b|"
                  # A status page's "Monitoring" phase, not a monitoring system's alert ("Monitoring alert fired").
                  r"^monitoring\b(?![ \t]+(?:(?:alerts?|alarms?)(?![ \t]+(?:cleared|clear|resolved|stopped|"
                  r"recovered|went quiet|are quiet|back))|system|systems|tools?|caught|detected|flagged|fired|"
                  r"paged|triggered|picked up|showed|shows|alerted|(?:started|began) (?:to )?(?:alert|alerting|page|paging))\b)|"
                  r"\bstarted recovering\b|\bbegan recovering\b|\bimpact (?:reduced|lessened)\b|"
                  r"\bstarts? to recover\b|\b(?:begins?|began|starts?|started) to (?:subside|ease|decline|decrease|"
                  r"improve|taper)\b|\bmost (?:sites|clusters|users|customers|regions) recovered\b"),
    # A fix or rollback is recognised (so that it is never taken for the resolution) but marks no
    # moment of the template's: what it changed is for the author to say.
    ("fixed", r"\brolled back\b|\broll ?back (?:complete|completed|finished|done|started)\b|\brevert(?:ed)?\b|"
              r"\bfix (?:was )?(?:deployed|applied|rolled out|shipped)\b|\bdeployed (?:a |the )?(?:fix|patch|hotfix)\b|"
              r"\brepaired\b|\bworkaround\b|\bfail(?:ed)? ?over\b|\btraffic (?:was )?(?:shifted|drained|moved|rerouted)\b|"
              r"\brecovering\b|\brestarted\b"),
    ("understood", r"\broot cause (?:was )?(?:identified|found|determined|confirmed)\b|\bcause (?:was )?(?:identified|found)\b|"
                   r"\bidentified (?:the )?(?:root )?cause\b|^identified\b|\bidentified as the (?:root )?(?:cause|trigger)\b|"
                   r"\bcause found\b|\bwe (?:identified|found) the\b"),
    ("responded", r"\bincident (?:was )?declared\b|\bdeclared (?:an? |the )?(?:incident|sev|outage|major|p\d)|"
                  r"\b(?:sev|p)[ -]?\d (?:incident )?declared\b|"
                  r"\backnowledged\b|\backnowledges\b|\backs?\b|\b(?:began|begin|started|start) investigating\b|\binvestigation (?:began|started)\b|"
                  r"\bincident (?:channel|room|bridge) (?:was )?(?:opened|created|started)\b|\bwar ?room\b|"
                  r"\bon-?call (?:engineer )?(?:responded|engaged|joined)\b|\bescalated\b|^investigating\b|"
                  r"\bincident (?:lead|commander) assigned\b|\btakes incident command\b"),
    # Escalated by the people who met the failure (its words come earlier in the row than a response's
    # "escalated"): how engineering found out when no row before it says so; the builder decides.
    ("escalated", rf"\b{_REPORTER} escalated\b"),
    ("detected", r"\bfirst (?:detected|noticed|reported|alert|alarm|page|signal|customer report|report|call|ticket|"
                 r"complaint|email|e-mail|message)|\bdetected\b|"
                 r"\balerts? (?:fired|fires|triggered|triggers|received|went off|goes off|arrives|arrived|came in|comes in)\b|"
                 r"\balarms? (?:fired|fires|triggered|triggers|went off|goes off)\b|"
                 r"\b(?:alerts?|alarms?|alerting|monitoring|monitors?|uptime checks?|synthetic checks?|checks?|probes?|pager)"
                 r"\b[^.;]{0,60}?\b(?:fired|fires|triggered|triggers|caught|catches|went off|goes off|paged|pages|"
                 r"alerted|alerts|detected|detects|flagged|flags)\b|"
                 r"\b(?:posts?|posted|asks?|asked|emails?|emailed|calls?|called|complains?|complained|writes?|wrote) "
                 r"(?:(?:in|on|to)\b" + _NOT_WHAT_FAILS + r"|(?:that|whether|about|asking)\b)|\breceives? (?:the |a )?(?:first )?(?:call|ticket|report|email)|"
                 r"\bpaged\b|\bpages? (?:the |was sent|sent)\b|\breported by\b|\breported\b|\b(?:customers?|users?|support) "
                 r"(?:reported|reports?|complain)|\bcustomer reports?\b|\breports? (?:from|of|that)\b|\bnoticed\b|"
                 r"\b(?:pagerduty|opsgenie|datadog|grafana|prometheus|borgmon|nagios) (?:alert|page|fired|detected)"),
    ("started", rf"\b{_SYMPTOM} (?:begins?|began|starts?|started)\b(?! to (?:succeed|recover|work|clear|drain|improve|"
                r"come back|flow|return|decrease|fall|drop|subside|ease|decline|taper|abate|normali[sz]e|stabili[sz]e))"
                r"(?! (?:on schedule|as scheduled|as planned|as usual|normally|on time)\b)|\bstart of (?:the )?(?:impact|incident|outage)\b|"
                r"^(?:the )?(?:outage|incident|issue|problem|impact) (?:started|began|begins|starts)\b|"
                r"\bbeginning of (?:the )?(?:impact|incident|outage)\b|\bimpact start|"
                r"\((?:started|start|began|incident (?:start|started|began))\)[ \t.]*$|"
                r"\b(?:starts?|started|begins?|began) (?:to )?(?:fail|failing|time out|timing out|error|erroring|"
                r"drop|dropping|return(?:ing)? (?:errors|[45]\d\d|http|empty)|hang|hanging|stall|stalling|crash|crashing|queue|queueing|"
                r"disappear|disappearing|vanish|vanishing|reject|rejecting|refuse|refusing|skip|skipping|lose|losing|"
                r"climb|spike|degrade|slow|grow|growing|climbing|rise|rising|increase|increasing|build|building|pile|"
                r"piling|back up|backing up)|\b(?:stops?|stopped) (?:draining|working|responding|consuming|"
                r"processing|serving|accepting|completing|updating|loading|syncing|sending|delivering|replicating|"
                r"moving|running|reporting)\b|\bcan ?no[t]? (?:join|log ?in|sign ?in|connect|pay|load|reach)\b|\bdrops? to zero\b|\b(?:went|goes|go) down\b|"
                r"\bbecame unavailable\b|\brequests (?:fail|failed|failing)\b|\bwrites stop\b|\bis evicted\b|"
                r"\bstalls\b|\b(?:evictions|errors|latency) (?:spike|climbs?)\b"),
]
# Words that, in a sentence of prose, say the time beside them is when something began or ended.
PROSE_CUES = [
    ("resolved", r"\b(?:ended|ending|until|till|through|resolved|recovered|restored|fixed|stopped|normal(?:ly)?|"
                 r"(?:worked|working|been) normally since|back since)\b(?: at| around| by| approximately| since)?\W*$"),
    ("started", r"\b(?:began|begins|started|starting|beginning|from|since|commencing)\b(?: at| around| approximately)?\W*$"),
]
_PROSE_CUES_RX = [(kind, Gated(p, re.I)) for kind, p in PROSE_CUES]
FAILURE_WORDS = re.compile(
    r"\b(?:fail|fails|failed|failing|failures?|errors?|erroring|unavailable|unreachable|down|outage|degraded|delayed|"
    r"stalled|stall|timed out|timing out|timeouts?|returned (?:errors|partial|http)|5\d\d|dropped|dropping|"
    r"could not|couldn't|unable|hung|hang|impaired|declined|rejected|lost)\b", re.I)


_WHEN_CLAUSE = re.compile(r"[ \t]*,?[ \t]*when\b", re.I)


def began_when(after: str) -> tuple[str, str] | None:
    """The start a "when ..." clause after a time states ("at 10:14 UTC when appointment writes began
    failing": writes began then), whatever the words before the time say of it (declared, paged)."""
    if not _WHEN_CLAUSE.match(after):
        return None
    found = timeline_kind(after[:200])
    return found if found and found[0] == "started" else None


def prose_kind(before: str, after: str) -> tuple[str, str] | None:
    """What a time written in a sentence marks, from the words just before it (``began at``, ``ended
    at``, ``alerted ... at``) or, failing those, the rest of its clause."""
    before = before[-160:]
    for kind, rx in _PROSE_CUES_RX:
        m = rx.search(before)
        if m:
            return kind, m.group(0).strip(" ,.;:")
    found = timeline_kind(before[-100:])
    if found and found[0] in ("detected", "resolved", "responded", "understood", "mitigated", "escalated"):
        return found
    found = timeline_kind(after[:200])
    if found:
        return found
    m = FAILURE_WORDS.search(after[:200])
    if m:
        return "failing", m.group(0)
    return None


_TIMELINE_WORDS_RX = [(kind, Gated(p)) for kind, p in TIMELINE_WORDS]
_NEGATED = re.compile(r"\b(?:not|un|no longer|yet to be)\s*(?:yet )?(?:resolved|recovered|mitigated)\b")
# A mitigation tried, planned or talked about is none ("Attempted mitigation by restarting pods, no effect").
_MITIGATION_TRIED = re.compile(r"\b(?:attempt(?:ed|ing|s)?|tried|trying|no effect|did not help|didn't help|options?|"
                               r"discuss(?:ed|es|ing)?|working on|planned|planning|considering|proposed)\b")
# Support's follow-up, not the incident: "Last clinic support tickets about missing confirmations resolved".
_FOLLOW_UP_RESOLVED = re.compile(r"\b(?:tickets?|cases|complaints|questions)\b[^.;]{0,60}\bresolved\b")
_PARTIAL = re.compile(r"\bpartial(?:ly)?\s+(?:resolved|recovered|restored)\b")
# The template's own rows (the Started at / Resolved at slots) and common labels written as rows.
TEMPLATE_ROWS = {"started at": "started", "started": "started", "start": "started", "incident started": "started",
                 "resolved at": "resolved", "resolved": "resolved", "incident resolved": "resolved",
                 "detected at": "detected", "detected": "detected"}


@lru_cache(maxsize=16384)
def timeline_kind(description: str) -> tuple[str, str] | None:
    """The moment a timeline row marks and the words that said so: ``("resolved", "OUTAGE ENDS")``.

    A row that says the incident is resolved marks the resolution; otherwise the words that come first
    decide ("Indexer stops consuming after a broker failover" marks the start, not a fix). A reporter's
    escalation is ``escalated``: the builder places it among the other moments (detection or response)."""
    text = description[:300]
    low = text.lower().lstrip("<*_ -–—:")
    offset = len(text) - len(low)
    best = None
    for kind, rx in _TIMELINE_WORDS_RX:
        m = rx.search(low)
        if not m:
            continue
        if kind in ("resolved", "mitigated", "fixed") and _NEGATED.search(low):
            continue
        if kind == "resolved" and (_PARTIAL.search(low) or m.group(0) == "resolved" and _FOLLOW_UP_RESOLVED.search(low)):
            continue
        if kind == "mitigated" and _MITIGATION_TRIED.search(low):
            continue
        if kind == "resolved":
            return kind, text[offset + m.start():offset + m.end()].strip()
        if best is None or m.start() < best[0]:
            best = (m.start(), kind, text[offset + m.start():offset + m.end()].strip())
    return (best[1], best[2]) if best else None


_ROW_LABEL_END = re.compile(r"[:–—-]")


def template_row_kind(description: str) -> str | None:
    """``started``/``resolved``/``detected`` for a row that is the template's own slot (``Started at``,
    ``Resolved at: metrics back to baseline``)."""
    head = _ROW_LABEL_END.split(description[:60], maxsplit=1)[0]
    return TEMPLATE_ROWS.get(normalise_label(head))
