/* cli_demo_data.c: the example organisation of `riskline demo load`: Northwind Freight, a logistics company, its ISO/IEC 27001 risks, treatment plans, metrics and risk events. */
#include "cli_demo_data.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TR(x) RISKLINE__V1__TREATMENT__TREATMENT_##x
#define MS(x) RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_##x
#define KIND(x) RISKLINE__V1__EVENT_KIND__EVENT_KIND_##x
#define SEV(x) RISKLINE__V1__SEVERITY__SEVERITY_##x
#define HIGHER RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_HIGHER_IS_BETTER
#define LOWER RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_LOWER_IS_BETTER

const char *demo_organisation(void) { return "Northwind Freight (logistics, 1,400 staff)"; }

static const demo_person_t people[] = {
    {"maria", "risk_owner", "CIO: owns the technology risks, accepts residual risk"},
    {"sofia", "approver", "CISO: approves and verifies treatment plans"},
    {"david", "treatment_owner", "head of IT operations: runs treatment plans"},
    {"lena", "treatment_owner", "security engineering lead: runs treatment plans"},
    {"grace", "treatment_owner", "finance operations lead: runs treatment plans"},
    {"siem-prod", "integrator", "the production SIEM: sends incidents and KRI measurements"},
    {"vuln-scanner", "integrator", "the vulnerability scanner: sends findings and control tests"},
};

/* Risk indexes, so plans, metrics and events name risks by meaning. */
enum {
    R_RANSOMWARE, R_PHISHING, R_CLOUD, R_INSIDER, R_HOSTING, R_LAPTOPS, R_VPN, R_DDOS, R_PAYROLL, R_BEC,
    R_PRIVILEGED, R_SAAS_BACKUP, R_SHADOW_IT, R_SUPPLY_CHAIN, R_BREAK_IN, R_FIRE, R_KEY_PERSON, R_RETENTION,
    R_SCANNERS, R_WMS, R_DEFACEMENT, R_TAILGATING, R_USB, R_LOGGING, R_API_KEYS, R_PSP, R_DISPOSAL,
    R_PRINTERS, R_NIS2, R_TELEMATICS, R_COUNT
};

static const demo_risk_t risks[R_COUNT] = {
    [R_RANSOMWARE] = {"Ransomware encrypts the file servers",
                      "Shared drives of operations and finance are encrypted; shipments stall until restored.",
                      "technology", "ransomware delivered by email or an exposed service",
                      "flat network, backups reachable from the domain", {"file servers", "backup system"}, "ia",
                      "maria", 4, 5, TR(REDUCE), 0},
    [R_PHISHING] = {"Credential phishing of staff",
                    "Staff enter their credentials on fake login pages; mailboxes are taken over.", "people",
                    "credential phishing", "no phishing-resistant MFA on email", {"email", "staff laptops"}, "ci",
                    "maria", 4, 4, TR(REDUCE), 0},
    [R_CLOUD] = {"Misconfigured cloud storage exposes customer data",
                 "A storage bucket with shipment manifests and customer addresses is readable from the internet.",
                 "technology", "automated scanning for open buckets", "no guardrails on cloud accounts",
                 {"cloud storage", "customer portal"}, "c", "maria", 3, 5, TR(REDUCE), 0},
    [R_INSIDER] = {"Insider theft of customer data by a leaver",
                   "A departing sales employee exports the customer base from the CRM.", "people",
                   "malicious insider", "bulk export allowed for every CRM user", {"crm"}, "c", "tariq", 2, 4,
                   TR(UNSPECIFIED), 0},
    [R_HOSTING] = {"Outage of the managed hosting provider",
                   "The single hosting provider of the customer portal and the WMS fails for days.", "supplier",
                   "supplier outage", "one region, no tested exit plan", {"customer portal", "wms"}, "a", "olivia",
                   3, 4, TR(REDUCE), 0},
    [R_LAPTOPS] = {"Lost or stolen laptops", "Laptops of drivers' dispatchers and sales staff are lost while travelling.",
                   "people", "theft, loss", "a third of the laptops are not encrypted", {"staff laptops"}, "c",
                   "maria", 4, 2, TR(REDUCE), 0},
    [R_VPN] = {"Unpatched VPN gateway exploited",
               "A pre-authentication flaw of the VPN gateway lets an attacker into the internal network.",
               "technology", "exploitation of a known vulnerability", "patches applied quarterly",
               {"vpn gateway"}, "cia", "maria", 4, 5, TR(REDUCE), 0},
    [R_DDOS] = {"DDoS against the customer portal", "Customers cannot book or track shipments during an attack.",
                "technology", "DDoS for hire", "no upstream filtering", {"customer portal"}, "a", "maria", 3, 3,
                TR(REDUCE), 0},
    [R_PAYROLL] = {"Payroll fraud through changed bank details",
                   "A forged request changes an employee's bank account before the payroll run.", "finance",
                   "social engineering of HR and payroll", "one person can change bank details",
                   {"payroll system"}, "i", "henrik", 3, 4, TR(REDUCE), 0},
    [R_BEC] = {"Business email compromise: fraudulent supplier payments",
               "A spoofed supplier mail redirects invoice payments to an attacker's account.", "finance",
               "business email compromise", "payment changes confirmed by email only", {"email", "erp"}, "i",
               "henrik", 4, 4, TR(REDUCE), 0},
    [R_PRIVILEGED] = {"Misuse of domain administrator accounts",
                      "Standing domain admin rights are misused or stolen and used to spread through the domain.",
                      "technology", "privilege misuse, credential theft", "14 standing domain admins, no PAM",
                      {"active directory"}, "cia", "maria", 2, 5, TR(REDUCE), 0},
    [R_SAAS_BACKUP] = {"Loss of mailbox and document data in the SaaS suite",
                       "Deleted or encrypted mailboxes and documents cannot be restored beyond 30 days.",
                       "technology", "accidental or malicious deletion", "no backup of the SaaS tenant",
                       {"email", "document management"}, "ia", "maria", 2, 4, TR(UNSPECIFIED), 0},
    [R_SHADOW_IT] = {"Unapproved SaaS tools hold company data",
                     "Teams sign up for file-sharing and AI tools without review.", "technology",
                     "data leakage to unvetted providers", "no SaaS approval process", {"document management"}, "c",
                     "maria", 3, 2, TR(UNSPECIFIED), 0},
    [R_SUPPLY_CHAIN] = {"Compromised update of the WMS vendor",
                        "A malicious update of the warehouse management software is installed automatically.",
                        "supplier", "software supply chain attack", "vendor updates installed unverified", {"wms"},
                        "cia", "olivia", 2, 5, TR(UNSPECIFIED), 0},
    [R_BREAK_IN] = {"Break-in at the Hamburg warehouse server room",
                    "An intruder reaches the server room through the loading bay.", "physical", "burglary",
                    "server room key held by many", {"server room"}, "ca", "jan", 1, 4, TR(UNSPECIFIED), 0},
    [R_FIRE] = {"Fire or flood in the main data room", "The on-premises data room is destroyed.", "physical",
                "fire, water", "data room below ground level", {"server room"}, "a", "jan", 1, 5,
                TR(UNSPECIFIED), 0},
    [R_KEY_PERSON] = {"Key person dependency on the ERP administrator",
                      "Only one administrator knows the ERP's interfaces and batch jobs.", "people",
                      "absence of a key person", "no documentation, no deputy", {"erp"}, "a", "henrik", 3, 3,
                      TR(UNSPECIFIED), -10},
    [R_RETENTION] = {"Personal data kept beyond its retention period",
                     "HR and driver records are kept for years after they are needed (GDPR Art. 5).", "compliance",
                     "regulatory sanction", "no deletion routine", {"hr records"}, "c", "nora", 2, 3,
                     TR(UNSPECIFIED), -3},
    [R_SCANNERS] = {"Shared default passwords on warehouse handheld scanners",
                    "Handheld scanners share one default password to the WMS.", "technology", "misuse of shared accounts",
                    "default credentials", {"handheld scanners", "wms"}, "i", "jan", 3, 2, TR(UNSPECIFIED), 0},
    [R_WMS] = {"Unmanaged changes break the warehouse management system",
               "Changes go live without testing; the WMS stops picking for hours.", "operations",
               "faulty change", "no change advisory board, no staging", {"wms"}, "ia", "jan", 3, 4, TR(REDUCE), 0},
    [R_DEFACEMENT] = {"Defacement of the public website", "The marketing website shows an attacker's content.",
                      "technology", "web attack", "outdated CMS plugins", {"public website"}, "i", "maria", 2, 2,
                      TR(ACCEPT), 0},
    [R_TAILGATING] = {"Tailgating into the head office", "Visitors follow staff through the badge gates.",
                      "physical", "unauthorised entry", "no reception at the side entrance", {"head office"}, "c",
                      "jan", 2, 2, TR(UNSPECIFIED), 0},
    [R_USB] = {"Customer data leaves on unencrypted USB drives", "Sales staff copy price lists and customer data to USB.",
               "people", "loss of removable media", "USB storage allowed", {"staff laptops"}, "c", "tariq", 2, 3,
               TR(UNSPECIFIED), 0},
    [R_LOGGING] = {"Logging gaps delay incident detection",
                   "Cloud and SaaS logs do not reach the SIEM; incidents are seen late.", "technology",
                   "undetected intrusion", "log sources not onboarded", {"siem"}, "ci", "maria", 3, 3,
                   TR(UNSPECIFIED), 0},
    [R_API_KEYS] = {"Cloud API keys leaked in source code",
                    "Access keys committed to repositories give access to production data.", "technology",
                    "credential leakage", "no secret scanning", {"git repositories", "cloud storage"}, "ci", "maria",
                    3, 4, TR(REDUCE), 0},
    [R_PSP] = {"Outage of the payment service provider",
               "Customers cannot pay online for express shipments for a day or more.", "supplier", "supplier outage",
               "single payment provider", {"payment gateway"}, "a", "olivia", 2, 4, TR(TRANSFER), 0},
    [R_DISPOSAL] = {"Insecure disposal of old disks", "Disks of retired servers are sold without wiping.", "physical",
                    "data recovery from disposed media", "no disposal certificate", {"retired server disks"}, "c", "jan", 1,
                    3, TR(UNSPECIFIED), 0},
    [R_PRINTERS] = {"Multifunction printers keep scanned documents",
                    "Printers store scans of delivery notes on their disks.", "technology", "data remanence",
                    "scan-to-disk enabled", {"printers"}, "c", "maria", 1, 2, TR(ACCEPT), 0},
    [R_NIS2] = {"Late NIS2 incident notification",
                "A significant incident is not notified to the authority within 24 hours.", "compliance",
                "regulatory sanction", "no on-call legal contact, no notification template", {"incident process"},
                "i", "nora", 3, 4, TR(UNSPECIFIED), 0},
    [R_TELEMATICS] = {"Tampering with truck telematics data",
                      "GPS and temperature data of refrigerated trucks is falsified.", "technology",
                      "data manipulation", "unsigned telemetry", {"fleet telematics"}, "i", "jan", 2, 3,
                      TR(UNSPECIFIED), 0},
};

static const demo_control_t controls[] = {
    {"Payment call-back verification",
     "Payments to new or changed bank details are confirmed by phone on a number from the master data, never "
     "one from the request.",
     RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_PROCESS, RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_ORGANIZATIONAL},
    {"Quarterly phishing simulation", "Every employee receives a simulated phishing mail each quarter.",
     RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_TRAINING, RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_PEOPLE},
};

#define WIKI "https://wiki.northwind.example/isms/"
#define TICKET "https://tickets.northwind.example/browse/"

static const demo_plan_t plans[] = {
    {.risk = R_RANSOMWARE, .title = "Immutable offline backups and EDR on the file servers", .owner = "david",
     .approver = "sofia", .rationale = "Restore within a working day without paying; stop encryption early.",
     .option = TR(REDUCE), .controls = {"A.8.13", "A.8.7", "A.5.30"}, .budget_minor = 4500000, .currency = "EUR",
     .start = -200, .target = -30, .residual_l = 2, .residual_i = 3,
     .people = {"Ravi Patel:backup engineer:120", "David Novak:treatment owner:40"},
     .tools = {"Veeam Backup", "CrowdStrike Falcon"}, .effort_days = 60,
     .milestones = {{"Immutable backup target in the second site", "ravi", -150, MS(DONE), WIKI "backup/immutable-design", 0},
                    {"EDR on all 14 file servers", "ravi", -110, MS(DONE), TICKET "CHG-2231", 0},
                    {"Full restore drill (RTO 8 h)", "david", -45, MS(DONE), WIKI "backup/restore-drill-report", 1}},
     .costs = {{1825000, -160, "immutable backup appliance"},
               {1440000, -120, "EDR licences, first year"},
               {680000, -50, "restore drill support by the integrator"}},
     .end = DEMO_END_CLOSED,
     .decision = "restore drill recovered 2.1 TB in 6 h 40 min; EDR blocked the red-team payload"},
    {.risk = R_VPN, .title = "Patch and harden the VPN gateway; phishing-resistant MFA for remote access",
     .owner = "lena", .approver = "sofia", .rationale = "Close the exploited class of flaws and stop password-only access.",
     .option = TR(REDUCE), .controls = {"A.8.8", "A.8.5", "A.8.20"}, .budget_minor = 800000, .currency = "EUR",
     .start = -90, .target = 5, .residual_l = 2, .residual_i = 4,
     .people = {"Paul Meyer:network engineer:60"}, .tools = {"FIDO2 security keys"}, .effort_days = 20,
     .milestones = {{"Emergency patch to the fixed firmware", "paul", -85, MS(DONE), TICKET "CHG-2305", 0},
                    {"FIDO2 keys for all remote users", "lena", -40, MS(DONE), WIKI "remote-access/fido2-rollout", 0},
                    {"Geo-blocking and rate limits on the gateway", "paul", -20, MS(DONE), TICKET "CHG-2388", 1}},
     .costs = {{520000, -45, "260 FIDO2 security keys"}},
     .end = DEMO_END_VERIFIED,
     .decision = "penetration test found no pre-auth exposure; MFA enforced for 100% of remote users"},
    {.risk = R_PHISHING, .title = "Phishing-resistant MFA for email and a quarterly phishing drill", .owner = "lena",
     .approver = "sofia", .rationale = "Fewer clicks, and a click no longer gives the mailbox away.",
     .option = TR(REDUCE), .controls = {"A.6.3", "A.8.5", "A.8.23", "#1"}, .budget_minor = 1500000,
     .currency = "EUR", .start = -120, .target = 10, .residual_l = 3, .residual_i = 3,
     .people = {"Emma Lind:awareness coordinator:80"}, .tools = {"awareness platform"}, .effort_days = 25,
     .milestones = {{"Awareness module for all staff", "emma", -60, MS(DONE), WIKI "awareness/module-completion", 0},
                    {"First phishing simulation", "emma", -30, MS(DONE), WIKI "awareness/simulation-q3", 1},
                    {"Mail link rewriting and web filtering", "lena", -15, MS(DONE), TICKET "CHG-2410", 0}},
     .costs = {{980000, -100, "awareness platform licence"}},
     .end = DEMO_END_IMPLEMENTED},
    {.risk = R_API_KEYS, .title = "Secret scanning in CI and rotation of exposed keys", .owner = "lena",
     .approver = "sofia", .rationale = "No key reaches a repository; any key that did is worthless.",
     .option = TR(REDUCE), .controls = {"A.8.4", "A.8.28", "A.5.17"}, .budget_minor = 600000, .currency = "EUR",
     .start = -75, .target = 30, .residual_l = 2, .residual_i = 3, .people = {"Aisha Khan:development lead:50"},
     .tools = {"gitleaks"}, .effort_days = 12,
     .milestones = {{"Secret scanning in every pipeline", "aisha", -40, MS(DONE), TICKET "DEV-1181", 0},
                    {"Rotate the keys found in repositories", "aisha", -20, MS(DONE), TICKET "DEV-1204", 1}},
     .costs = {{250000, -30, "scanner subscription"}},
     .end = DEMO_END_INEFFECTIVE,
     .decision = "a re-scan of the git history found 3 live cloud keys the pipeline scanner missed: it checks "
                 "new commits only",
     .rework = {"Scan the full git history and rotate the 3 keys found", "aisha", 14, MS(PENDING), NULL, 0}},
    {.risk = R_CLOUD, .title = "Cloud guardrails and posture management (CSPM)", .owner = "david",
     .approver = "sofia", .rationale = "Block public storage by policy and see drift within a day.",
     .option = TR(REDUCE), .controls = {"A.5.23", "A.8.9", "A.8.16"}, .budget_minor = 3000000, .currency = "EUR",
     .start = -100, .target = 45, .residual_l = 2, .residual_i = 4,
     .people = {"Chen Wei:cloud engineer:160"}, .tools = {"CSPM service"}, .effort_days = 40,
     .milestones = {{"Inventory of cloud accounts and their owners", "chen", -80, MS(DONE), WIKI "cloud/account-inventory", 0},
                    {"Organisation policy: no public buckets", "chen", -12, MS(IN_PROGRESS), NULL, 1},
                    {"CSPM rollout to all accounts", "chen", 30, MS(PENDING), NULL, 2}},
     .costs = {{1800000, -70, "CSPM licence, first year"},
               {1240000, -20, "cloud security consultant"},
               {410000, -5, "remediation sprint overtime"}},
     .end = DEMO_END_IN_PROGRESS},
    {.risk = R_BEC, .title = "Call-back verification of payments to new or changed bank details", .owner = "grace",
     .approver = "sofia", .rationale = "A mail alone can no longer redirect a payment.", .option = TR(REDUCE),
     .controls = {"#0", "A.5.14", "A.6.3"}, .budget_minor = 400000, .currency = "EUR", .start = -60, .target = -3,
     .residual_l = 2, .residual_i = 4, .people = {"Grace Okafor:finance operations lead:30"}, .effort_days = 8,
     .milestones = {{"Call-back procedure signed off by the CFO", "grace", -40, MS(DONE), WIKI "finance/call-back-procedure", 0},
                    {"Train the accounts payable team", "emma", -5, MS(IN_PROGRESS), NULL, 1},
                    {"First quarterly audit of the call-back log", "grace", 25, MS(PENDING), NULL, 2}},
     .costs = {{120000, -10, "training session for accounts payable"}},
     .end = DEMO_END_IN_PROGRESS},
    {.risk = R_LAPTOPS, .title = "Full-disk encryption and remote wipe on all laptops", .owner = "david",
     .approver = "sofia", .rationale = "A lost laptop is a hardware cost, not a data breach.", .option = TR(REDUCE),
     .controls = {"A.8.1", "A.8.24", "A.7.9"}, .budget_minor = 2200000, .currency = "EUR", .start = -45,
     .target = 40, .residual_l = 4, .residual_i = 1, .people = {"Ravi Patel:endpoint engineer:90"},
     .tools = {"Intune", "BitLocker"}, .effort_days = 18,
     .milestones = {{"BitLocker policy through Intune", "ravi", -20, MS(DONE), TICKET "CHG-2450", 0},
                    {"Encrypt the remaining 40 laptops", "ravi", 4, MS(IN_PROGRESS), NULL, 1},
                    {"Remote wipe test on a lost-device drill", "ravi", 25, MS(PENDING), NULL, 2}},
     .costs = {{960000, -30, "Intune licence uplift"}},
     .end = DEMO_END_IN_PROGRESS},
    {.risk = R_WMS, .title = "Change advisory board and release gates for the WMS", .owner = "david",
     .approver = "sofia", .rationale = "Every WMS change is tested in staging and approved.", .option = TR(REDUCE),
     .controls = {"A.8.32", "A.8.31", "A.8.29"}, .budget_minor = 1200000, .currency = "EUR", .start = -50,
     .target = 60, .residual_l = 2, .residual_i = 3,
     .milestones = {{"CAB charter and weekly meeting", "david", -30, MS(DONE), WIKI "change/cab-charter", 0},
                    {"Staging environment for WMS releases", "ravi", 20, MS(PENDING), NULL, 1}},
     .end = DEMO_END_ON_HOLD,
     .decision = "WMS vendor upgrade frozen until the peak season ends; resume in January"},
    {.risk = R_PAYROLL, .title = "Dual approval of bank-detail changes in payroll", .owner = "grace",
     .approver = "sofia", .rationale = "No single person can redirect a salary.", .option = TR(REDUCE),
     .controls = {"A.5.3", "A.5.18", "A.8.15"}, .budget_minor = 350000, .currency = "EUR", .start = 7,
     .target = 60, .residual_l = 1, .residual_i = 4,
     .milestones = {{"Four-eyes rule in the payroll system", "grace", 20, MS(PENDING), NULL, 0},
                    {"Notify the employee of every bank-detail change", "grace", 35, MS(PENDING), NULL, 0}},
     .end = DEMO_END_APPROVED, .decision = "proportionate; start after the November payroll run"},
    {.risk = R_HOSTING, .title = "Second hosting region and renegotiated supplier SLA", .owner = "david",
     .approver = "sofia", .rationale = "Survive the loss of one region; an exit plan we have tested.",
     .option = TR(REDUCE), .controls = {"A.5.19", "A.5.20", "A.5.30", "A.8.14"}, .budget_minor = 5200000,
     .currency = "EUR", .start = 14, .target = 150, .residual_l = 2, .residual_i = 4,
     .people = {"Olivia Brandt:supplier manager:40", "Chen Wei:cloud engineer:200"}, .effort_days = 70,
     .milestones = {{"Exit plan and SLA review with the hosting provider", "olivia", 30, MS(PENDING), NULL, 0},
                    {"Warm standby in the second region", "chen", 120, MS(PENDING), NULL, 1}},
     .end = DEMO_END_SUBMITTED},
    {.risk = R_DDOS, .title = "Always-on DDoS scrubbing for the customer portal", .owner = "david",
     .approver = "sofia", .rationale = "Keep booking and tracking available under attack.", .option = TR(REDUCE),
     .controls = {"A.8.20", "A.8.14"}, .budget_minor = 6000000, .currency = "EUR", .start = 10, .target = 90,
     .residual_l = 2, .residual_i = 3,
     .milestones = {{"Scrubbing contract signed", "david", 30, MS(PENDING), NULL, 0}},
     .end = DEMO_END_REJECTED,
     .decision = "cost out of proportion to a medium risk (score 9): bring a CDN-based option with rate limiting"},
    {.risk = R_PRIVILEGED, .title = "Privileged access management for domain administrators", .owner = "lena",
     .approver = "sofia", .rationale = "No standing admin rights; every admin session recorded.",
     .option = TR(REDUCE), .controls = {"A.8.2", "A.8.15", "A.5.15"}, .budget_minor = 2500000, .currency = "EUR",
     .start = 30, .target = 180, .residual_l = 1, .residual_i = 5,
     .milestones = {{"Tiered administration model", "lena", 60, MS(PENDING), NULL, 0},
                    {"PAM vault and session recording", "lena", 150, MS(PENDING), NULL, 1}},
     .end = DEMO_END_DRAFT},
    {.risk = R_LAPTOPS, .title = "Avoid data on laptops: VDI thin clients for all office staff", .owner = "david",
     .approver = "sofia", .rationale = "No company data on endpoints at all.", .option = TR(AVOID),
     .controls = {"A.8.1"}, .budget_minor = 18000000, .currency = "EUR", .start = 60, .target = 360,
     .end = DEMO_END_CANCELLED,
     .decision = "superseded by full-disk encryption at a tenth of the cost; the VDI business case failed"},
    {.risk = R_PSP, .title = "Business interruption cover for payment provider outages", .owner = "grace",
     .approver = "sofia", .rationale = "Lost express revenue during a provider outage is insured.",
     .option = TR(TRANSFER), .transfer_party = "Harbour Mutual Insurance", .transfer_reference = "POL-BI-2026-4471",
     .controls = {"A.5.20"}, .budget_minor = 750000, .currency = "EUR", .start = -20, .target = 20,
     .residual_l = 2, .residual_i = 2,
     .milestones = {{"Broker quotes from three insurers", "grace", -10, MS(DONE), WIKI "finance/insurance-quotes", 0},
                    {"Policy signed", "grace", 15, MS(PENDING), NULL, 1}},
     .end = DEMO_END_IN_PROGRESS},
};

/* Metric indexes, for the KRI event. */
enum { K_PATCH, K_PHISH, K_RESTORE, K_VPN_LOGINS, K_BUCKETS, K_ENCRYPTION, K_COUNT };

static const demo_metric_t metrics[K_COUNT] = {
    [K_PATCH] = {"Critical patches applied within 14 days (%)", "A.8.8",
                 "share of critical findings of the vulnerability scanner closed within 14 days", "david",
                 DEMO_NO_RISK, 30, 2, HIGHER, 95, 90, 80, {{-75, 92}, {-45, 88}, {-15, 79}}},
    [K_PHISH] = {"Phishing simulation click rate (%)", "A.6.3", "clicks per delivered simulation mail", "lena",
                 DEMO_NO_RISK, 30, 1, LOWER, 3, 6, 10, {{-95, 14.5}, {-65, 9.1}, {-35, 6.8}, {-5, 4.2}}},
    [K_RESTORE] = {"Backup restore tests passed (%)", "A.8.13", "weekly restore of a random sample", "david",
                   DEMO_NO_RISK, 30, 1, HIGHER, 100, 95, 90, {{-60, 100}, {-30, 100}, {-2, 100}}},
    [K_VPN_LOGINS] = {"Failed VPN logins per day", NULL, "failed authentications on the VPN gateway, from the SIEM",
                      "lena", R_VPN, 7, 1, LOWER, 50, 200, 500, {{-14, 120}, {-7, 180}}},
    [K_BUCKETS] = {"Publicly readable storage buckets", "A.5.23", "count from the CSPM and the scanner", "david",
                   DEMO_NO_RISK, 7, 1, LOWER, 0, 1, 3, {{-10, 6}, {-3, 4}}},
    [K_ENCRYPTION] = {"Laptops with full-disk encryption (%)", "A.8.1", "share of laptops reporting BitLocker on",
                      "david", DEMO_NO_RISK, 30, 1, HIGHER, 100, 95, 85, {{-25, 71}, {-1, 91}}},
};

/* The scanner's batch goes first and the SIEM's ends with its KRI measurement: once the monitor
 * has recorded that result, it has correlated every event before it. */
static const char *const sources[] = {"vuln-scanner", "siem-prod"};
enum { SCANNER, SIEM };

static const demo_event_t events[] = {
    {SIEM, "INC-4698", KIND(INCIDENT), SEV(MEDIUM), 140,
     "Credential phishing wave: fake parcel-tracking login page, 14 reports, 2 clicks", R_PHISHING, {"email"}, {0},
     "rule", "MAIL-PHISH-07", -1, 0, 0},
    {SIEM, "INC-4711", KIND(INCIDENT), SEV(HIGH), 50,
     "Brute force against the VPN gateway: 3,200 failed logins from 41 addresses", R_VPN, {"vpn gateway"},
     {"A.8.5"}, "rule", "VPN-BF-02", -1, 0, 0},
    {SIEM, "INC-4720", KIND(INCIDENT), SEV(CRITICAL), 20, "Cobalt Strike beacon blocked by EDR on file server FS02",
     DEMO_NO_RISK, {"file servers"}, {"A.8.7"}, "host", "fs02", -1, 0, 0},
    {SIEM, "INC-4725", KIND(INCIDENT), SEV(LOW), 280, "Laptop stolen from a car in Hamburg (encrypted, wiped remotely)",
     DEMO_NO_RISK, {"staff laptops"}, {0}, "ticket", "SEC-981", -1, 0, 0},
    {SIEM, "TI-0193", KIND(THREAT_INTEL), SEV(MEDIUM), 30,
     "Sector advisory: DDoS-for-hire campaigns against logistics customer portals", DEMO_NO_RISK,
     {"customer portal"}, {0}, "feed", "logistics-isac", -1, 0, 0},
    {SIEM, "INC-4730", KIND(INCIDENT), SEV(LOW), 3, "Unusual sign-in to lab VM lab-vm-17 from a new country",
     DEMO_NO_RISK, {"lab-vm-17"}, {0}, "rule", "AUTH-GEO-01", -1, 0, 0},
    {SIEM, "KRI-VPN-FAILED-24H", KIND(KRI_MEASUREMENT), SEV(MEDIUM), 2, "Failed VPN logins in the last 24 hours",
     R_VPN, {"vpn gateway"}, {0}, "window", "24h", K_VPN_LOGINS, 1, 640},
    {SCANNER, "VS-2026-88213", KIND(VULNERABILITY), SEV(CRITICAL), 70,
     "CVE-2026-0042: pre-authentication remote code execution in the VPN gateway firmware", DEMO_NO_RISK,
     {"vpn gateway"}, {"A.8.8"}, "cvss", "9.8", -1, 0, 0},
    {SCANNER, "VS-2026-88240", KIND(VULNERABILITY), SEV(HIGH), 40, "Storage bucket nw-exports is readable by anyone",
     R_CLOUD, {"cloud storage"}, {"A.5.23"}, "bucket", "nw-exports", -1, 0, 0},
    {SCANNER, "VS-2026-88251", KIND(VULNERABILITY), SEV(MEDIUM), 30, "TLS 1.0 still enabled on the customer portal",
     DEMO_NO_RISK, {"customer portal"}, {0}, "port", "443", -1, 0, 0},
    {SCANNER, "VS-2026-88260", KIND(VULNERABILITY), SEV(LOW), 10, "Outdated JavaScript library on the public website",
     DEMO_NO_RISK, {"public website"}, {0}, "cvss", "4.3", -1, 0, 0},
    {SCANNER, "VS-2026-88262", KIND(VULNERABILITY), SEV(HIGH), 8,
     "3 live cloud access keys in the git history of repository shipment-api", R_API_KEYS, {"git repositories"},
     {"A.8.4"}, "repository", "shipment-api", -1, 0, 0},
    {SCANNER, "CT-BACKUP-W47", KIND(CONTROL_TEST), SEV(INFO), 26, "Weekly restore test: 12 of 12 restores passed",
     DEMO_NO_RISK, {"backup system"}, {"A.8.13"}, "sample", "12", -1, 1, 100},
};

static const demo_acceptance_t acceptances[] = {
    {R_PRINTERS, "low risk (score 2): printers are in locked areas and replaced next year; wiping them now costs "
                 "more than the exposure", 12},
    {R_DEFACEMENT, "low risk (score 4): the website holds no customer data and is rebuilt from git within an hour",
     200},
};

static const demo_exclusion_t exclusions[] = {
    {"A.8.30", "no outsourced development: software is bought as SaaS or built in-house (A.8.25 applies)"},
};

#define TABLE(fn, type, arr)         \
    const type *fn(size_t *n)        \
    {                                \
        *n = N(arr);                 \
        return arr;                  \
    }
TABLE(demo_people, demo_person_t, people)
TABLE(demo_risks, demo_risk_t, risks)
TABLE(demo_controls, demo_control_t, controls)
TABLE(demo_plans, demo_plan_t, plans)
TABLE(demo_metrics, demo_metric_t, metrics)
TABLE(demo_sources, char *const, sources)
TABLE(demo_events, demo_event_t, events)
TABLE(demo_acceptances, demo_acceptance_t, acceptances)
TABLE(demo_exclusions, demo_exclusion_t, exclusions)
#undef TABLE

int demo_person_index(const char *name)
{
    for (size_t i = 0; name && i < N(people); i++)
        if (!strcmp(people[i].name, name))
            return (int)i;
    return -1;
}

/* 1 when person `name` has role `role` in its comma list. */
static int has_role(const char *name, const char *role)
{
    int i = demo_person_index(name);
    if (i < 0)
        return 0;
    size_t n = strlen(role);
    for (const char *p = people[i].roles; (p = strstr(p, role)); p += n)
        if ((p == people[i].roles || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return 1;
    return 0;
}

static rl_err_t check_plan(size_t k, const demo_plan_t *p, int *ends, rl_error_t *err)
{
    if (p->risk < 0 || p->risk >= R_COUNT)
        return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu names risk %d", k, p->risk);
    if (!has_role(p->owner, "treatment_owner") || !has_role(p->approver, "approver") || !strcmp(p->owner, p->approver))
        return rl_error_set(err, RL_ERR_INTERNAL, "plans",
                            "plan %zu: owner %s needs a treatment_owner key, approver %s an approver key", k,
                            p->owner, p->approver);
    if ((unsigned)p->end >= DEMO_END_COUNT)
        return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu has no end state", k);
    ends[p->end]++;
    int started = p->end >= DEMO_END_IN_PROGRESS && p->end <= DEMO_END_ON_HOLD;
    for (int m = 0; m < DEMO_MAX_LIST && p->milestones[m].title; m++) {
        const demo_milestone_t *ms = &p->milestones[m];
        if (ms->depends < 0 || ms->depends > m)
            return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu milestone %d depends forward", k, m + 1);
        if (ms->status != MS(PENDING) && !started)
            return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu never starts: milestone %d stays pending", k,
                                m + 1);
        if ((ms->status == MS(DONE)) != (ms->evidence != NULL))
            return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu milestone %d: done goes with evidence", k,
                                m + 1);
        if (ms->status == MS(DONE) && ms->depends && p->milestones[ms->depends - 1].status != MS(DONE))
            return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu milestone %d is done before its dependency",
                                k, m + 1);
    }
    if (p->costs[0].amount_minor && !started)
        return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu records costs but never starts", k);
    for (int c = 0; c < DEMO_MAX_LIST && p->controls[c]; c++)
        if (p->controls[c][0] == '#' && (size_t)(p->controls[c][1] - '0') >= N(controls))
            return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu names own control %s", k, p->controls[c]);
    int needs_decision = p->end == DEMO_END_REJECTED || p->end == DEMO_END_ON_HOLD || p->end == DEMO_END_CANCELLED ||
                         p->end == DEMO_END_VERIFIED || p->end == DEMO_END_INEFFECTIVE || p->end == DEMO_END_CLOSED;
    if (needs_decision && !p->decision)
        return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu needs a reason or result", k);
    if ((p->end == DEMO_END_INEFFECTIVE) != (p->rework.title != NULL))
        return rl_error_set(err, RL_ERR_INTERNAL, "plans", "plan %zu: rework goes with an ineffective verification",
                            k);
    return RL_OK;
}

rl_err_t demo_data_check(rl_error_t *err)
{
    int ends[DEMO_END_COUNT] = {0};
    rl_err_t rc;
    for (size_t k = 0; k < N(plans); k++)
        if ((rc = check_plan(k, &plans[k], ends, err)))
            return rc;
    for (int e = 0; e < DEMO_END_COUNT; e++)
        if (!ends[e])
            return rl_error_set(err, RL_ERR_INTERNAL, "plans", "no plan ends in state %d", e);
    for (size_t k = 0; k < N(metrics); k++)
        if (!metrics[k].control == (metrics[k].risk == DEMO_NO_RISK) || metrics[k].risk >= R_COUNT)
            return rl_error_set(err, RL_ERR_INTERNAL, "metrics", "metric %zu measures one control or one risk", k);
    for (size_t k = 0; k < N(events); k++) {
        const demo_event_t *e = &events[k];
        if ((size_t)e->source >= N(sources) || !has_role(sources[e->source], "integrator") || e->risk >= R_COUNT ||
            e->metric >= K_COUNT || (e->kind == KIND(KRI_MEASUREMENT)) != (e->metric >= 0))
            return rl_error_set(err, RL_ERR_INTERNAL, "events", "event %s is inconsistent", e->event_id);
    }
    size_t last = N(events);
    for (size_t k = 0; k < N(events); k++)
        if ((size_t)events[k].source == N(sources) - 1)
            last = k;
    if (last == N(events) || events[last].metric < 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "events", "the last event sent is not a KRI measurement");
    for (size_t k = 0; k < N(acceptances); k++)
        if (!has_role(risks[acceptances[k].risk].owner, "risk_owner"))
            return rl_error_set(err, RL_ERR_INTERNAL, "acceptances", "acceptance %zu: the risk owner needs a key", k);
    return RL_OK;
}
