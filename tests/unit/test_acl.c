/* test_acl.c: the role table: who may send which request, and the forbidden message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rl_acl.h"
#include "rl_keyfile.h"
#include "rl_keys.h"
#include "rl_codec.h"

static rl_principal_t with_roles(uint32_t roles)
{
    rl_principal_t p;
    rl_principal_local(&p, "pat");
    p.roles = roles;
    return p;
}

static int allowed(uint32_t roles, int body)
{
    rl_principal_t p = with_roles(roles);
    rl_error_t err;
    rl_error_clear(&err);
    return rl_acl_check(&p, body, &err) == RL_OK;
}

static void test_every_register_request_has_roles(void **state)
{
    (void)state;
    const int bodies[] = {RISKLINE__V1__ENVELOPE__BODY_PING, RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE,
                          RISKLINE__V1__ENVELOPE__BODY_RISK_GET, RISKLINE__V1__ENVELOPE__BODY_RISK_LIST,
                          RISKLINE__V1__ENVELOPE__BODY_RISK_UPDATE, RISKLINE__V1__ENVELOPE__BODY_RISK_ARCHIVE,
                          RISKLINE__V1__ENVELOPE__BODY_RISK_HISTORY, RISKLINE__V1__ENVELOPE__BODY_CRITERIA_GET,
                          RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        assert_int_not_equal(rl_acl_roles_for(bodies[i]), 0);
        assert_true(allowed(RL_ROLE_ADMIN, bodies[i]));
    }
    /* results and unknown bodies: nobody */
    assert_int_equal(rl_acl_roles_for(RISKLINE__V1__ENVELOPE__BODY_RISK_RESULT), 0);
    assert_int_equal(rl_acl_roles_for(99), 0);
    assert_false(allowed(RL_ROLES_ALL, RISKLINE__V1__ENVELOPE__BODY_RISK_PAGE));
}

static void test_role_matrix(void **state)
{
    (void)state;
    const int get = RISKLINE__V1__ENVELOPE__BODY_RISK_GET, create = RISKLINE__V1__ENVELOPE__BODY_RISK_CREATE,
              crit = RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET;
    assert_true(allowed(RL_ROLE_VIEWER, get));
    assert_false(allowed(RL_ROLE_VIEWER, create));
    assert_true(allowed(RL_ROLE_AUDITOR, get));
    assert_false(allowed(RL_ROLE_AUDITOR, create));
    assert_false(allowed(RL_ROLE_INTEGRATOR, get));
    assert_false(allowed(RL_ROLE_INTEGRATOR, create));
    assert_true(allowed(RL_ROLE_RISK_OWNER, create));
    assert_false(allowed(RL_ROLE_RISK_OWNER, crit));
    assert_true(allowed(RL_ROLE_ADMIN, crit));
    assert_true(allowed(RL_ROLE_INTEGRATOR, RISKLINE__V1__ENVELOPE__BODY_PING));
    /* health: every role (and the bus answers it even for a principal with none) */
    for (uint32_t role = 1; role & RL_ROLES_ALL; role <<= 1)
        assert_true(allowed(role, RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET));
    assert_int_equal(rl_acl_roles_for(RISKLINE__V1__ENVELOPE__BODY_HEALTH), 0);  /* a reply, never sent */
    assert_false(allowed(0, get));
}

static void test_forbidden_names_roles(void **state)
{
    (void)state;
    rl_principal_t p = with_roles(RL_ROLE_VIEWER | RL_ROLE_AUDITOR);
    rl_error_t err;
    rl_error_clear(&err);
    assert_int_equal(rl_acl_check(&p, RISKLINE__V1__ENVELOPE__BODY_CRITERIA_SET, &err), RL_ERR_FORBIDDEN);
    assert_string_equal(err.field, "body");
    assert_non_null(strstr(err.message, "needs the role admin"));
    assert_non_null(strstr(err.message, "pat has viewer, auditor"));
    char buf[128];
    assert_string_equal(rl_roles_format(RL_ROLE_RISK_OWNER | RL_ROLE_ADMIN, buf, sizeof buf), "risk_owner, admin");
    assert_string_equal(rl_roles_format(0, buf, sizeof buf), "");
}

/* Key records -> principals, and the pure checks of the key store and key files. */
static void test_key_records(void **state)
{
    (void)state;
    char *roles[] = {"viewer", "approver", "from-a-newer-peer"};
    char *tenants[] = {"acme", "Bad Tenant", "beta"};
    Riskline__V1__Principal rec = RISKLINE__V1__PRINCIPAL__INIT;
    rec.name = "ann";
    rec.roles = roles;
    rec.n_roles = 3;
    rec.tenants = tenants;
    rec.n_tenants = 3;
    rl_principal_t p;
    rl_keys_to_principal(&rec, &p);
    assert_string_equal(p.name, "ann");
    assert_int_equal(p.roles, RL_ROLE_VIEWER | RL_ROLE_APPROVER);  /* unknown role ignored */
    assert_int_equal(p.ntenants, 2);                               /* invalid tenant ignored */
    assert_false(p.all_tenants);
    assert_true(rl_principal_has_tenant(&p, "beta"));
    assert_false(rl_principal_has_tenant(&p, "gamma"));
    char *all[] = {"*"};
    rec.tenants = all;
    rec.n_tenants = 1;
    rl_keys_to_principal(&rec, &p);
    assert_true(p.all_tenants);
    assert_true(rl_principal_has_tenant(&p, "gamma"));
    assert_true(rl_keys_name_valid("siem-01@acme.example"));
    assert_false(rl_keys_name_valid(""));
    assert_false(rl_keys_name_valid("has space"));
    assert_false(rl_keys_name_valid("semi;colon"));
    assert_int_equal(rl_role_parse("integrator"), RL_ROLE_INTEGRATOR);
    assert_int_equal(rl_role_parse("root"), 0u);
    /* Z85: a generated key round-trips; wrong length or alphabet is refused */
    rl_keyfile_t kf;
    rl_error_t err;
    assert_int_equal(rl_keyfile_generate(&kf, 1, &err), RL_OK);
    assert_true(rl_keyfile_z85_valid(kf.curve_public));
    uint8_t raw[32];
    assert_int_equal(rl_keyfile_z85_decode(raw, kf.curve_public), 0);
    assert_false(rl_keyfile_z85_valid("short"));
    assert_int_equal(rl_keyfile_z85_decode(raw, "0123456789012345678901234567890123456789\""), -1);
    assert_true(kf.has_sign && kf.has_sign_secret);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_register_request_has_roles),
        cmocka_unit_test(test_role_matrix),
        cmocka_unit_test(test_forbidden_names_roles),
        cmocka_unit_test(test_key_records),
    };
    return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
