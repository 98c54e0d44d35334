/* catalogue.c: the ISO/IEC 27001:2022 Annex A catalogue as data, custom control rules and the
 * Statement of Applicability derived from plans; pure functions, no I/O. */
#include "catalogue.h"
#include "rl_ids.h"
#include "rl_json.h"
#include "rl_limits.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ORG RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_ORGANIZATIONAL
#define PPL RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_PEOPLE
#define PHY RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_PHYSICAL
#define TEC RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_TECHNOLOGICAL

#define ST_NOT_STARTED RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_NOT_STARTED
#define ST_IMPLEMENTED RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IMPLEMENTED
#define ST_VERIFIED RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_VERIFIED

/* ISO/IEC 27001:2022 Table A.1, in order. Slot of "A.<t>.<n>": theme_first[t - 5] + n - 1. */
static const catalogue_control_t annex_a[] = {
    /* 5 Organizational controls (37) */
    {"A.5.1", "Policies for information security", ORG},
    {"A.5.2", "Information security roles and responsibilities", ORG},
    {"A.5.3", "Segregation of duties", ORG},
    {"A.5.4", "Management responsibilities", ORG},
    {"A.5.5", "Contact with authorities", ORG},
    {"A.5.6", "Contact with special interest groups", ORG},
    {"A.5.7", "Threat intelligence", ORG},
    {"A.5.8", "Information security in project management", ORG},
    {"A.5.9", "Inventory of information and other associated assets", ORG},
    {"A.5.10", "Acceptable use of information and other associated assets", ORG},
    {"A.5.11", "Return of assets", ORG},
    {"A.5.12", "Classification of information", ORG},
    {"A.5.13", "Labelling of information", ORG},
    {"A.5.14", "Information transfer", ORG},
    {"A.5.15", "Access control", ORG},
    {"A.5.16", "Identity management", ORG},
    {"A.5.17", "Authentication information", ORG},
    {"A.5.18", "Access rights", ORG},
    {"A.5.19", "Information security in supplier relationships", ORG},
    {"A.5.20", "Addressing information security within supplier agreements", ORG},
    {"A.5.21", "Managing information security in the information and communication technology (ICT) supply chain",
     ORG},
    {"A.5.22", "Monitoring, review and change management of supplier services", ORG},
    {"A.5.23", "Information security for use of cloud services", ORG},
    {"A.5.24", "Information security incident management planning and preparation", ORG},
    {"A.5.25", "Assessment and decision on information security events", ORG},
    {"A.5.26", "Response to information security incidents", ORG},
    {"A.5.27", "Learning from information security incidents", ORG},
    {"A.5.28", "Collection of evidence", ORG},
    {"A.5.29", "Information security during disruption", ORG},
    {"A.5.30", "ICT readiness for business continuity", ORG},
    {"A.5.31", "Legal, statutory, regulatory and contractual requirements", ORG},
    {"A.5.32", "Intellectual property rights", ORG},
    {"A.5.33", "Protection of records", ORG},
    {"A.5.34", "Privacy and protection of personal identifiable information (PII)", ORG},
    {"A.5.35", "Independent review of information security", ORG},
    {"A.5.36", "Compliance with policies, rules and standards for information security", ORG},
    {"A.5.37", "Documented operating procedures", ORG},
    /* 6 People controls (8) */
    {"A.6.1", "Screening", PPL},
    {"A.6.2", "Terms and conditions of employment", PPL},
    {"A.6.3", "Information security awareness, education and training", PPL},
    {"A.6.4", "Disciplinary process", PPL},
    {"A.6.5", "Responsibilities after termination or change of employment", PPL},
    {"A.6.6", "Confidentiality or non-disclosure agreements", PPL},
    {"A.6.7", "Remote working", PPL},
    {"A.6.8", "Information security event reporting", PPL},
    /* 7 Physical controls (14) */
    {"A.7.1", "Physical security perimeters", PHY},
    {"A.7.2", "Physical entry", PHY},
    {"A.7.3", "Securing offices, rooms and facilities", PHY},
    {"A.7.4", "Physical security monitoring", PHY},
    {"A.7.5", "Protecting against physical and environmental threats", PHY},
    {"A.7.6", "Working in secure areas", PHY},
    {"A.7.7", "Clear desk and clear screen", PHY},
    {"A.7.8", "Equipment siting and protection", PHY},
    {"A.7.9", "Security of assets off-premises", PHY},
    {"A.7.10", "Storage media", PHY},
    {"A.7.11", "Supporting utilities", PHY},
    {"A.7.12", "Cabling security", PHY},
    {"A.7.13", "Equipment maintenance", PHY},
    {"A.7.14", "Secure disposal or re-use of equipment", PHY},
    /* 8 Technological controls (34) */
    {"A.8.1", "User end point devices", TEC},
    {"A.8.2", "Privileged access rights", TEC},
    {"A.8.3", "Information access restriction", TEC},
    {"A.8.4", "Access to source code", TEC},
    {"A.8.5", "Secure authentication", TEC},
    {"A.8.6", "Capacity management", TEC},
    {"A.8.7", "Protection against malware", TEC},
    {"A.8.8", "Management of technical vulnerabilities", TEC},
    {"A.8.9", "Configuration management", TEC},
    {"A.8.10", "Information deletion", TEC},
    {"A.8.11", "Data masking", TEC},
    {"A.8.12", "Data leakage prevention", TEC},
    {"A.8.13", "Information backup", TEC},
    {"A.8.14", "Redundancy of information processing facilities", TEC},
    {"A.8.15", "Logging", TEC},
    {"A.8.16", "Monitoring activities", TEC},
    {"A.8.17", "Clock synchronization", TEC},
    {"A.8.18", "Use of privileged utility programs", TEC},
    {"A.8.19", "Installation of software on operational systems", TEC},
    {"A.8.20", "Networks security", TEC},
    {"A.8.21", "Security of network services", TEC},
    {"A.8.22", "Segregation of networks", TEC},
    {"A.8.23", "Web filtering", TEC},
    {"A.8.24", "Use of cryptography", TEC},
    {"A.8.25", "Secure development life cycle", TEC},
    {"A.8.26", "Application security requirements", TEC},
    {"A.8.27", "Secure system architecture and engineering principles", TEC},
    {"A.8.28", "Secure coding", TEC},
    {"A.8.29", "Security testing in development and acceptance", TEC},
    {"A.8.30", "Outsourced development", TEC},
    {"A.8.31", "Separation of development, test and production environments", TEC},
    {"A.8.32", "Change management", TEC},
    {"A.8.33", "Test information", TEC},
    {"A.8.34", "Protection of information systems during audit testing", TEC},
};

#define ANNEX_N (sizeof annex_a / sizeof annex_a[0])

/* Clauses 5..8: first slot and number of controls. */
static const unsigned theme_first[4] = {0, 37, 45, 59};
static const unsigned theme_count[4] = {37, 8, 14, 34};

_Static_assert(sizeof annex_a / sizeof annex_a[0] == 93, "Annex A has 93 controls");

const catalogue_control_t *catalogue_annex_a(size_t *n)
{
    if (n)
        *n = ANNEX_N;
    return annex_a;
}

/* Slot 0..92 of "5.1", "A.5.1" or "a.5.1"; -1 otherwise (leading zeros, signs, spaces, any
 * trailing character, numbers past the end of the clause). */
static int annex_slot(const char *id)
{
    if (!id)
        return -1;
    if ((id[0] == 'A' || id[0] == 'a') && id[1] == '.')
        id += 2;
    if (id[0] < '5' || id[0] > '8' || id[1] != '.')
        return -1;
    unsigned t = (unsigned)(id[0] - '5');
    const char *p = id + 2;
    if (p[0] < '1' || p[0] > '9')
        return -1;
    unsigned n = (unsigned)(p[0] - '0');
    if (p[1] >= '0' && p[1] <= '9') {
        n = n * 10 + (unsigned)(p[1] - '0');
        p++;
    }
    if (p[1] != '\0' || n > theme_count[t])
        return -1;
    return (int)(theme_first[t] + n - 1);
}

const catalogue_control_t *catalogue_find(const char *id)
{
    int slot = annex_slot(id);
    return slot < 0 ? NULL : &annex_a[slot];
}

int catalogue_normalise(const char *id, char *buf, size_t size)
{
    int slot = annex_slot(id);
    if (slot < 0 || !buf || size <= strlen(annex_a[slot].id))
        return -1;
    memcpy(buf, annex_a[slot].id, strlen(annex_a[slot].id) + 1);
    return 0;
}

/* --- custom controls --- */

/* Length bounds, no control characters (multi-line text keeps \n and \t), valid UTF-8. */
static rl_err_t text_ok(const char *s, size_t min, size_t max, int multiline, const char *field,
                        rl_error_t *err)
{
    size_t len = s ? strlen(s) : 0;
    if (len < min)
        return rl_error_set(err, RL_ERR_INVALID, field, "is required");
    if (len > max)
        return rl_error_set(err, RL_ERR_INVALID, field, "is %zu bytes, over the limit of %zu", len, max);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        int allowed = multiline && (ch == '\n' || ch == '\t');
        if ((ch < 0x20 || ch == 0x7f) && !allowed)
            return rl_error_set(err, RL_ERR_INVALID, field, "contains a control character at byte %zu", i);
    }
    return rl_utf8_valid(s, len) ? RL_OK : rl_error_set(err, RL_ERR_INVALID, field, "is not valid UTF-8");
}

rl_err_t catalogue_custom_validate(const Riskline__V1__Control *c, rl_error_t *err)
{
    if (!c)
        return rl_error_set(err, RL_ERR_INVALID, "control", "is required");
    uint64_t n;
    if (c->id && c->id[0] && rl_entity_id_parse("C", c->id, &n) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "control.id",
                            "a custom control's id is assigned as C-<n>; Annex A controls cannot be added");
    rl_err_t rc;
    if ((rc = text_ok(c->title, 1, RL_MAX_TITLE, 0, "control.title", err)))
        return rc;
    if (c->type == RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_UNSPECIFIED)
        return rl_error_set(err, RL_ERR_INVALID, "control.type",
                            "is required: technical, policy, training, physical or process");
    if (!protobuf_c_enum_descriptor_get_value(&riskline__v1__control_type__descriptor, (int)c->type))
        return rl_error_set(err, RL_ERR_INVALID, "control.type", "unknown type %d", (int)c->type);
    if (!protobuf_c_enum_descriptor_get_value(&riskline__v1__control_theme__descriptor, (int)c->theme))
        return rl_error_set(err, RL_ERR_INVALID, "control.theme", "unknown theme %d", (int)c->theme);
    return text_ok(c->description, 0, RL_MAX_DESCRIPTION, 1, "control.description", err);
}

int catalogue_type_parse(const char *s)
{
    int v = rl_json_enum_value(&riskline__v1__control_type__descriptor, s);
    return v > 0 ? v : -1;
}

int catalogue_theme_parse(const char *s)
{
    if (s && strcasecmp(s, "organisational") == 0)
        return ORG;
    int v = rl_json_enum_value(&riskline__v1__control_theme__descriptor, s);
    return v > 0 ? v : -1;
}

/* --- Statement of Applicability --- */

/* Natural order of ids: digit runs compare as numbers ("R-2" < "R-10"), then bytewise. */
int catalogue_natcmp(const char *a, const char *b)
{
    const char *x = a, *y = b;
    while (*x && *y) {
        if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
            while (*x == '0')
                x++;
            while (*y == '0')
                y++;
            size_t lx = strspn(x, "0123456789"), ly = strspn(y, "0123456789");
            if (lx != ly)
                return lx < ly ? -1 : 1;
            int c = strncmp(x, y, lx);
            if (c)
                return c;
            x += lx;
            y += ly;
        } else if (*x != *y) {
            return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
        } else {
            x++;
            y++;
        }
    }
    if (*x || *y)
        return *x ? 1 : -1;
    return strcmp(a, b);
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static int cmp_plan_id(const void *a, const void *b)
{
    const Riskline__V1__Plan *pa = *(const Riskline__V1__Plan *const *)a;
    const Riskline__V1__Plan *pb = *(const Riskline__V1__Plan *const *)b;
    return catalogue_natcmp(str_or_empty(pa->id), str_or_empty(pb->id));
}

static int cmp_plan_risk(const void *a, const void *b)
{
    const Riskline__V1__Plan *pa = *(const Riskline__V1__Plan *const *)a;
    const Riskline__V1__Plan *pb = *(const Riskline__V1__Plan *const *)b;
    return catalogue_natcmp(str_or_empty(pa->risk_id), str_or_empty(pb->risk_id));
}

/* Custom controls sorted by id; the input position breaks ties so the first of duplicates wins. */
typedef struct {
    const Riskline__V1__Control *c;
    size_t pos;
} custom_ref_t;

static int cmp_custom(const void *a, const void *b)
{
    const custom_ref_t *x = a, *y = b;
    int c = catalogue_natcmp(x->c->id, y->c->id);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* One SoA line while it is derived: Annex A slots first, then the custom controls. */
typedef struct {
    size_t cap;                   /* plan references counted: bounds plan_ids and risk_ids */
    size_t nplans, nrisks;
    char **plan_ids, **risk_ids;
    int best;                     /* best ImplementationStatus over its plans, 0 when none */
    const soa_exclusion_t *excl;  /* latest exclusion record */
} slot_t;

/* Custom control ids -> slot, open addressing (power-of-two table, linear probing). */
typedef struct {
    const char **keys;
    size_t *slot;
    size_t mask;
} id_map_t;

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static void map_put(id_map_t *m, const char *key, size_t slot)
{
    size_t i = hash_str(key) & m->mask;
    while (m->keys[i])
        i = (i + 1) & m->mask;
    m->keys[i] = key;
    m->slot[i] = slot;
}

/* Slot of a control id (Annex A in any accepted spelling, else a custom id), or -1. */
static long slot_of(const id_map_t *m, const char *id)
{
    int a = annex_slot(id);
    if (a >= 0)
        return a;
    if (!id || !m->keys)
        return -1;
    for (size_t i = hash_str(id) & m->mask; m->keys[i]; i = (i + 1) & m->mask)
        if (strcmp(m->keys[i], id) == 0)
            return (long)m->slot[i];
    return -1;
}

/* A plan whose implemented controls count as verified: verified effective, or closed after it.
 * Both states require the effective verification record (an SoA claim an auditor can follow). */
static int plan_verified(const Riskline__V1__Plan *p)
{
    return (p->state == RISKLINE__V1__PLAN_STATE__PLAN_STATE_VERIFIED ||
            p->state == RISKLINE__V1__PLAN_STATE__PLAN_STATE_CLOSED) &&
           p->verification && p->verification->effective;
}

static int plan_counts(const Riskline__V1__Plan *p)
{
    return p && p->state != RISKLINE__V1__PLAN_STATE__PLAN_STATE_CANCELLED;
}

static rl_err_t oom(rl_error_t *err)
{
    return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory deriving the statement of applicability");
}

/* An arena copy of an Annex A control (custom NULL) or of a custom control. */
static Riskline__V1__Control *entry_control(const catalogue_control_t *a, const Riskline__V1__Control *custom,
                                            rl_arena_t *arena)
{
    Riskline__V1__Control *c = rl_arena_alloc(arena, sizeof *c);
    if (!c)
        return NULL;
    riskline__v1__control__init(c);
    c->id = rl_arena_strdup(arena, custom ? custom->id : a->id);
    c->title = rl_arena_strdup(arena, custom ? custom->title : a->title);
    c->theme = custom ? custom->theme : a->theme;
    if (custom) {
        c->description = rl_arena_strdup(arena, custom->description);
        c->created_by = rl_arena_strdup(arena, custom->created_by);
        c->type = custom->type;
        c->custom = 1;
        c->created_at_ms = custom->created_at_ms;
    }
    return c->id && c->title && c->description && c->created_by ? c : NULL;
}

/* Builds the sorted, de-duplicated custom list and its id map; *ncust_out controls kept. */
static rl_err_t index_custom(const Riskline__V1__Control *const *custom, size_t ncustom, rl_arena_t *arena,
                             custom_ref_t **refs_out, size_t *ncust_out, id_map_t *map, rl_error_t *err)
{
    memset(map, 0, sizeof *map);
    custom_ref_t *refs = ncustom ? rl_arena_alloc(arena, ncustom * sizeof *refs) : NULL;
    if (ncustom && !refs)
        return oom(err);
    size_t n = 0;
    for (size_t i = 0; i < ncustom; i++)
        if (custom[i] && custom[i]->id && custom[i]->id[0] && annex_slot(custom[i]->id) < 0)
            refs[n++] = (custom_ref_t){custom[i], i};
    if (n)
        qsort(refs, n, sizeof *refs, cmp_custom);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || strcmp(refs[kept - 1].c->id, refs[i].c->id) != 0)
            refs[kept++] = refs[i];
    if (kept) {
        size_t size = 16;
        while (size < kept * 2)
            size <<= 1;
        map->keys = rl_arena_alloc(arena, size * sizeof *map->keys);
        map->slot = rl_arena_alloc(arena, size * sizeof *map->slot);
        if (!map->keys || !map->slot)
            return oom(err);
        map->mask = size - 1;
        for (size_t i = 0; i < kept; i++)
            map_put(map, refs[i].c->id, ANNEX_N + i);
    }
    *refs_out = refs;
    *ncust_out = kept;
    return RL_OK;
}

/* Counts the references per slot and the best status; returns the plans that count. */
static size_t count_refs(const Riskline__V1__Plan *const *plans, size_t nplans, const id_map_t *map,
                         slot_t *slots, const Riskline__V1__Plan **live)
{
    size_t nlive = 0;
    for (size_t i = 0; i < nplans; i++) {
        const Riskline__V1__Plan *p = plans[i];
        if (!plan_counts(p))
            continue;
        live[nlive++] = p;
        int verified = plan_verified(p);
        for (size_t k = 0; k < p->n_controls; k++) {
            long s = p->controls[k] ? slot_of(map, p->controls[k]->control_id) : -1;
            if (s < 0)
                continue;
            int st = (int)p->controls[k]->status;
            st = st < ST_NOT_STARTED ? ST_NOT_STARTED : st > ST_IMPLEMENTED ? ST_IMPLEMENTED : st;
            if (st == ST_IMPLEMENTED && verified)
                st = ST_VERIFIED;
            slots[s].cap++;
            if (st > slots[s].best)
                slots[s].best = st;
        }
    }
    return nlive;
}

/* Appends each live plan's id (by_risk = 0) or risk id (by_risk = 1) to the slots of its controls,
 * in the natural order of that id; an id equal to the last one of the slot is not added again. */
static rl_err_t collect_ids(const Riskline__V1__Plan **live, size_t nlive, int by_risk, const id_map_t *map,
                            slot_t *slots, rl_arena_t *arena, rl_error_t *err)
{
    if (nlive == 0)
        return RL_OK;
    qsort(live, nlive, sizeof *live, by_risk ? cmp_plan_risk : cmp_plan_id);
    char *copy = NULL;
    for (size_t i = 0; i < nlive; i++) {
        const char *id = str_or_empty(by_risk ? live[i]->risk_id : live[i]->id);
        if (!copy || strcmp(copy, id) != 0)
            copy = NULL;  /* copied on first use: plans without known controls cost nothing */
        for (size_t k = 0; k < live[i]->n_controls; k++) {
            long s = live[i]->controls[k] ? slot_of(map, live[i]->controls[k]->control_id) : -1;
            if (s < 0)
                continue;
            slot_t *sl = &slots[s];
            char ***list = by_risk ? &sl->risk_ids : &sl->plan_ids;
            size_t *n = by_risk ? &sl->nrisks : &sl->nplans;
            if (!*list && !(*list = rl_arena_alloc(arena, sl->cap * sizeof **list)))
                return oom(err);
            if (*n > 0 && strcmp((*list)[*n - 1], id) == 0)
                continue;
            if (!copy && !(copy = rl_arena_strdup(arena, id)))
                return oom(err);
            (*list)[(*n)++] = copy;
        }
    }
    return RL_OK;
}

rl_err_t soa_derive(const Riskline__V1__Plan *const *plans, size_t nplans, const Riskline__V1__Control *const *custom,
                    size_t ncustom, const soa_exclusion_t *excl, size_t nexcl, Riskline__V1__ControlTheme theme,
                    Riskline__V1__ImplementationStatus status, rl_arena_t *arena, Riskline__V1__SoaEntry ***out,
                    size_t *nout, rl_error_t *err)
{
    *out = NULL;
    *nout = 0;
    if (nplans && !plans)
        return rl_error_set(err, RL_ERR_INTERNAL, "plans", "missing");
    custom_ref_t *refs = NULL;
    size_t ncust = 0;
    id_map_t map;
    rl_err_t rc = index_custom(custom, custom ? ncustom : 0, arena, &refs, &ncust, &map, err);
    if (rc)
        return rc;
    size_t nslots = ANNEX_N + ncust;
    slot_t *slots = rl_arena_alloc(arena, nslots * sizeof *slots);
    const Riskline__V1__Plan **live = nplans ? rl_arena_alloc(arena, nplans * sizeof *live) : NULL;
    if (!slots || (nplans && !live))
        return oom(err);

    size_t nlive = count_refs(plans, nplans, &map, slots, live);
    if ((rc = collect_ids(live, nlive, 0, &map, slots, arena, err)) ||
        (rc = collect_ids(live, nlive, 1, &map, slots, arena, err)))
        return rc;
    for (size_t i = 0; excl && i < nexcl; i++) {
        long s = slot_of(&map, excl[i].control_id);
        if (s >= 0 && (!slots[s].excl || excl[i].at_ms >= slots[s].excl->at_ms))
            slots[s].excl = &excl[i];
    }

    Riskline__V1__SoaEntry **entries = rl_arena_alloc(arena, nslots * sizeof *entries);
    if (!entries)
        return oom(err);
    size_t n = 0;
    for (size_t s = 0; s < nslots; s++) {
        const slot_t *sl = &slots[s];
        Riskline__V1__ControlTheme th = s < ANNEX_N ? annex_a[s].theme : refs[s - ANNEX_N].c->theme;
        int applicable = sl->nplans > 0;
        int st = applicable ? sl->best : RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_UNSPECIFIED;
        if ((theme && th != theme) || (status && st != (int)status))
            continue;
        Riskline__V1__SoaEntry *e = rl_arena_alloc(arena, sizeof *e);
        if (!e)
            return oom(err);
        riskline__v1__soa_entry__init(e);
        e->control = s < ANNEX_N ? entry_control(&annex_a[s], NULL, arena)
                                 : entry_control(NULL, refs[s - ANNEX_N].c, arena);
        if (!e->control)
            return oom(err);
        e->applicable = applicable;
        e->status = (Riskline__V1__ImplementationStatus)st;
        e->plan_ids = sl->plan_ids;
        e->n_plan_ids = sl->nplans;
        e->risk_ids = sl->risk_ids;
        e->n_risk_ids = sl->nrisks;
        if (!applicable && sl->excl) {
            e->exclusion_reason = rl_arena_strdup(arena, sl->excl->reason);
            e->excluded_by = rl_arena_strdup(arena, sl->excl->by);
            e->excluded_at_ms = sl->excl->at_ms;
        } else if (!applicable) {
            e->exclusion_reason = rl_arena_strdup(arena, "not selected by any treatment plan");
        }
        if (!e->exclusion_reason || !e->excluded_by)
            return oom(err);
        entries[n++] = e;
    }
    *out = entries;
    *nout = n;
    return RL_OK;
}

rl_err_t soa_derive_records(const Riskline__V1__Plan *const *plans, size_t nplans,
                            const Riskline__V1__Control *const *custom, size_t ncustom,
                            const Riskline__V1__SoaEntry *const *records, size_t nrecords,
                            Riskline__V1__ControlTheme theme, Riskline__V1__ImplementationStatus status,
                            rl_arena_t *arena, Riskline__V1__SoaEntry ***out, size_t *nout, rl_error_t *err)
{
    soa_exclusion_t *ex = rl_arena_alloc(arena, (nrecords ? nrecords : 1) * sizeof *ex);
    if (!ex)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    size_t k = 0;
    for (size_t i = 0; i < nrecords; i++)  /* an inclusion record (no reason) undoes an exclusion */
        if (records[i]->control && records[i]->exclusion_reason && records[i]->exclusion_reason[0])
            ex[k++] = (soa_exclusion_t){records[i]->control->id, records[i]->exclusion_reason,
                                        records[i]->excluded_by, records[i]->excluded_at_ms};
    return soa_derive(plans, nplans, custom, ncustom, ex, k, theme, status, arena, out, nout, err);
}
