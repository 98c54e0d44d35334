/* report_plan.c: the rows of the risk treatment plan document, table by table. */
#include "report_plan.h"
#include "catalogue.h"
#include "report.h"
#include "rl_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *report_money(rl_arena_t *a, int64_t minor)
{
    const char *sign = minor < 0 ? "-" : "";
    uint64_t m = minor < 0 ? (uint64_t)(-(minor + 1)) + 1 : (uint64_t)minor;
    return rl_arena_printf(a, "%s%" PRIu64 ".%02" PRIu64, sign, m / 100, m % 100);
}

int report_milestone_overdue(const Riskline__V1__Milestone *m, int64_t today)
{
    int64_t due;
    int open = m->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_PENDING ||
               m->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_IN_PROGRESS;
    return open && m->due_date && rl_date_parse(m->due_date, &due) == 0 && due < today;
}

static const char *rating(rl_arena_t *a, const Riskline__V1__Rating *r)
{
    return r && (r->likelihood || r->impact) ? rl_arena_printf(a, "%ux%u", r->likelihood, r->impact) : "";
}

static size_t one(const Riskline__V1__Plan *p)
{
    (void)p;
    return 1;
}

/* --- plans: one row each --- */
static const render_col_t plan_cols[] = {
    {"id", "Plan", RENDER_TEXT},
    {"risk", "Risk", RENDER_TEXT},
    {"title", "Title", RENDER_TEXT},
    {"option", "Option", RENDER_TEXT},
    {"treatment_owner", "Treatment owner", RENDER_TEXT},
    {"approver", "Approver", RENDER_TEXT},
    {"state", "State", RENDER_TEXT},
    {"progress_pct", "Progress %", RENDER_NUM},
    {"start_date", "Start", RENDER_TEXT},
    {"target_date", "Target", RENDER_TEXT},
    {"currency", "Currency", RENDER_TEXT},
    {"budget", "Budget", RENDER_NUM},
    {"spent", "Spent", RENDER_NUM},
    {"over_budget", "Over budget", RENDER_TEXT},
    {"effort_days", "Effort (days)", RENDER_NUM},
    {"tools", "Tools", RENDER_TEXT},
    {"expected_residual", "Expected residual (LxI)", RENDER_TEXT},
    {"milestones", "Milestones", RENDER_NUM},
    {"overdue_milestones", "Overdue", RENDER_NUM},
    {"transfer_party", "Transfer to", RENDER_TEXT},
    {"rationale", "Rationale", RENDER_TEXT},
    {"review_requested", "Review requested", RENDER_TEXT},
    {"version", "Version", RENDER_NUM},
    {"updated_at", "Updated", RENDER_TEXT},
};
#define PLAN_NCOLS (sizeof plan_cols / sizeof plan_cols[0])

static int plan_cells(const Riskline__V1__Plan *p, size_t i, const report_plan_ctx_t *ctx, rl_arena_t *a,
                      const char **cells)
{
    (void)i;
    const Riskline__V1__Resources *r = p->resources;
    const Riskline__V1__Money *b = r ? r->budget : NULL;
    uint32_t overdue = 0;
    for (size_t k = 0; k < p->n_milestones; k++)
        overdue += (uint32_t)report_milestone_overdue(p->milestones[k], ctx->today);
    size_t k = 0;
    cells[k++] = p->id;
    cells[k++] = p->risk_id;
    cells[k++] = p->title;
    cells[k++] = report_enum(a, &riskline__v1__treatment__descriptor, p->option);
    cells[k++] = p->treatment_owner;
    cells[k++] = p->approver;
    cells[k++] = report_enum(a, &riskline__v1__plan_state__descriptor, p->state);
    cells[k++] = report_uint(a, p->progress_pct, 0);
    cells[k++] = p->start_date;
    cells[k++] = p->target_date;
    cells[k++] = b && b->currency ? b->currency : "";
    cells[k++] = b && (b->amount_minor || (b->currency && b->currency[0])) ? report_money(a, b->amount_minor) : "";
    cells[k++] = r ? report_money(a, r->spent_minor) : "0.00";
    cells[k++] = r && r->over_budget ? "yes" : "no";
    cells[k++] = report_uint(a, r ? r->effort_days : 0, 1);
    cells[k++] = r ? report_join(a, r->tools, r->n_tools, "; ") : "";
    cells[k++] = rating(a, p->expected_residual);
    cells[k++] = report_uint(a, p->n_milestones, 0);
    cells[k++] = report_uint(a, overdue, 0);
    cells[k++] = p->transfer_party;
    cells[k++] = p->rationale;
    cells[k++] = p->review_requested;
    cells[k++] = report_uint(a, p->version, 0);
    cells[k++] = report_time(a, p->updated_at_ms);
    return report_cells_ok(cells, k);
}

/* --- decisions: approval, verification, acceptance (one row per plan) --- */
static const render_col_t decision_cols[] = {
    {"plan", "Plan", RENDER_TEXT},
    {"approved_by", "Approved by", RENDER_TEXT},
    {"approved_at", "Approved", RENDER_TEXT},
    {"approved_version", "Plan version approved", RENDER_NUM},
    {"approval_outdated", "Approval outdated by", RENDER_TEXT},
    {"verified_by", "Verified by", RENDER_TEXT},
    {"verified_at", "Verified", RENDER_TEXT},
    {"effective", "Effective", RENDER_TEXT},
    {"verification_result", "Result", RENDER_TEXT},
    {"accepted_by", "Residual accepted by", RENDER_TEXT},
    {"acceptance_expires", "Acceptance expires", RENDER_TEXT},
    {"acceptance_justification", "Justification", RENDER_TEXT},
};
#define DECISION_NCOLS (sizeof decision_cols / sizeof decision_cols[0])

static int decision_cells(const Riskline__V1__Plan *p, size_t i, const report_plan_ctx_t *ctx, rl_arena_t *a,
                          const char **cells)
{
    (void)i, (void)ctx;
    const Riskline__V1__Approval *ap = p->approval;
    const Riskline__V1__Verification *v = p->verification;
    const Riskline__V1__Acceptance *ac = p->acceptance;
    int approved = ap && ap->approver && ap->approver[0];
    int verified = v && v->verified_by && v->verified_by[0];
    size_t k = 0;
    cells[k++] = p->id;
    cells[k++] = approved ? ap->approver : "";
    cells[k++] = approved ? report_time(a, ap->at_ms) : "";
    cells[k++] = approved ? report_uint(a, ap->plan_version, 0) : "";
    cells[k++] = approved && ap->outdated ? (ap->outdated_reason[0] ? ap->outdated_reason : "yes") : "";
    cells[k++] = verified ? v->verified_by : "";
    cells[k++] = verified ? report_time(a, v->at_ms) : "";
    cells[k++] = verified ? (v->effective ? "yes" : "no") : "";
    cells[k++] = verified ? v->result : "";
    cells[k++] = ac ? ac->accepted_by : "";
    cells[k++] = ac ? ac->expires : "";
    cells[k++] = ac ? ac->justification : "";
    return report_cells_ok(cells, k);
}

/* --- controls --- */
static const render_col_t control_cols[] = {
    {"plan", "Plan", RENDER_TEXT},
    {"control", "Control", RENDER_TEXT},
    {"title", "Title", RENDER_TEXT},
    {"status", "Status", RENDER_TEXT},
    {"notes", "Notes", RENDER_TEXT},
};
#define CONTROL_NCOLS (sizeof control_cols / sizeof control_cols[0])

static size_t n_controls(const Riskline__V1__Plan *p) { return p->n_controls; }

static const char *control_title(const report_plan_ctx_t *ctx, const char *id)
{
    const catalogue_control_t *c = catalogue_find(id);
    if (c)
        return c->title;
    for (size_t i = 0; i < ctx->ncustom; i++)
        if (ctx->custom[i]->id && !strcmp(ctx->custom[i]->id, id))
            return ctx->custom[i]->title;
    return "";
}

static int control_cells(const Riskline__V1__Plan *p, size_t i, const report_plan_ctx_t *ctx, rl_arena_t *a,
                         const char **cells)
{
    const Riskline__V1__PlanControl *c = p->controls[i];
    size_t k = 0;
    cells[k++] = p->id;
    cells[k++] = c->control_id;
    cells[k++] = control_title(ctx, c->control_id);
    cells[k++] = report_enum(a, &riskline__v1__implementation_status__descriptor, c->status);
    cells[k++] = c->notes;
    return report_cells_ok(cells, k);
}

/* --- milestones and their evidence --- */
static const render_col_t milestone_cols[] = {
    {"plan", "Plan", RENDER_TEXT},
    {"milestone", "Milestone", RENDER_TEXT},
    {"title", "Title", RENDER_TEXT},
    {"owner", "Owner", RENDER_TEXT},
    {"due_date", "Due", RENDER_TEXT},
    {"status", "Status", RENDER_TEXT},
    {"overdue", "Overdue", RENDER_TEXT},
    {"completed_at", "Completed", RENDER_TEXT},
    {"completed_by", "Completed by", RENDER_TEXT},
    {"depends_on", "Depends on", RENDER_TEXT},
    {"evidence", "Evidence (URI sha256, by)", RENDER_TEXT},
    {"waive_reason", "Waived because", RENDER_TEXT},
};
#define MILESTONE_NCOLS (sizeof milestone_cols / sizeof milestone_cols[0])

static size_t n_milestones(const Riskline__V1__Plan *p) { return p->n_milestones; }

static int milestone_cells(const Riskline__V1__Plan *p, size_t i, const report_plan_ctx_t *ctx, rl_arena_t *a,
                           const char **cells)
{
    const Riskline__V1__Milestone *m = p->milestones[i];
    const char *ev = "";
    for (size_t e = 0; e < m->n_evidence && ev; e++) {
        const Riskline__V1__Evidence *x = m->evidence[e];
        ev = rl_arena_printf(a, "%s%s%s%s%s, %s", ev, e ? "; " : "", x->uri, x->sha256[0] ? " sha256:" : "",
                             x->sha256, x->added_by);
    }
    size_t k = 0;
    cells[k++] = p->id;
    cells[k++] = m->id;
    cells[k++] = m->title;
    cells[k++] = m->owner;
    cells[k++] = m->due_date;
    cells[k++] = report_enum(a, &riskline__v1__milestone_status__descriptor, m->status);
    cells[k++] = report_milestone_overdue(m, ctx->today) ? "yes" : "no";
    cells[k++] = report_time(a, m->completed_at_ms);
    cells[k++] = m->completed_by;
    cells[k++] = report_join(a, m->depends_on, m->n_depends_on, " ");
    cells[k++] = ev;
    cells[k++] = m->waive_reason;
    return report_cells_ok(cells, k);
}

/* --- costs --- */
static const render_col_t cost_cols[] = {
    {"plan", "Plan", RENDER_TEXT},     {"date", "Date", RENDER_TEXT},
    {"amount", "Amount", RENDER_NUM},  {"currency", "Currency", RENDER_TEXT},
    {"note", "Note", RENDER_TEXT},     {"recorded_by", "Recorded by", RENDER_TEXT},
};
#define COST_NCOLS (sizeof cost_cols / sizeof cost_cols[0])

static size_t n_costs(const Riskline__V1__Plan *p) { return p->resources ? p->resources->n_costs : 0; }

static int cost_cells(const Riskline__V1__Plan *p, size_t i, const report_plan_ctx_t *ctx, rl_arena_t *a,
                      const char **cells)
{
    (void)ctx;
    const Riskline__V1__Cost *c = p->resources->costs[i];
    const Riskline__V1__Money *b = p->resources->budget;
    size_t k = 0;
    cells[k++] = p->id;
    cells[k++] = c->date;
    cells[k++] = report_money(a, c->amount_minor);
    cells[k++] = b && b->currency ? b->currency : "";
    cells[k++] = c->note;
    cells[k++] = c->recorded_by;
    return report_cells_ok(cells, k);
}

/* --- personnel --- */
static const render_col_t person_cols[] = {
    {"plan", "Plan", RENDER_TEXT},
    {"person", "Person", RENDER_TEXT},
    {"role", "Role", RENDER_TEXT},
    {"planned_hours", "Planned hours", RENDER_NUM},
    {"actual_hours", "Actual hours", RENDER_NUM},
};
#define PERSON_NCOLS (sizeof person_cols / sizeof person_cols[0])

static size_t n_people(const Riskline__V1__Plan *p) { return p->resources ? p->resources->n_personnel : 0; }

static int person_cells(const Riskline__V1__Plan *p, size_t i, const report_plan_ctx_t *ctx, rl_arena_t *a,
                        const char **cells)
{
    (void)ctx;
    const Riskline__V1__Personnel *x = p->resources->personnel[i];
    size_t k = 0;
    cells[k++] = p->id;
    cells[k++] = x->person;
    cells[k++] = x->role;
    cells[k++] = report_uint(a, x->planned_hours, 0);
    cells[k++] = report_uint(a, x->actual_hours, 0);
    return report_cells_ok(cells, k);
}

static const report_plan_table_t tables[] = {
    {"plans", "Treatment plans", plan_cols, PLAN_NCOLS, one, plan_cells},
    {"decisions", "Approvals, verification and acceptance", decision_cols, DECISION_NCOLS, one, decision_cells},
    {"controls", "Controls", control_cols, CONTROL_NCOLS, n_controls, control_cells},
    {"milestones", "Milestones and evidence", milestone_cols, MILESTONE_NCOLS, n_milestones, milestone_cells},
    {"costs", "Costs", cost_cols, COST_NCOLS, n_costs, cost_cells},
    {"personnel", "Personnel", person_cols, PERSON_NCOLS, n_people, person_cells},
};

const report_plan_table_t *report_plan_tables(size_t *n)
{
    *n = sizeof tables / sizeof tables[0];
    return tables;
}

/* --- history --- */
const render_col_t report_event_cols[REPORT_EVENT_NCOLS] = {
    {"plan", "Plan", RENDER_TEXT},     {"at", "When", RENDER_TEXT},       {"actor", "Who", RENDER_TEXT},
    {"event", "Event", RENDER_TEXT},   {"version", "Version", RENDER_NUM}, {"changes", "Changes", RENDER_TEXT},
    {"comment", "Comment", RENDER_TEXT},
};

int report_event_cells(const char *plan_id, const Riskline__V1__DomainEvent *ev, rl_arena_t *a,
                       const char *cells[REPORT_EVENT_NCOLS])
{
    const char *ch = report_changes(a, ev);
    size_t k = 0;
    cells[k++] = plan_id;
    cells[k++] = report_time(a, ev->at_ms);
    cells[k++] = ev->actor;
    cells[k++] = ev->kind;
    cells[k++] = report_uint(a, ev->version, 0);
    cells[k++] = ch;
    cells[k++] = ev->comment;
    return report_cells_ok(cells, k);
}
