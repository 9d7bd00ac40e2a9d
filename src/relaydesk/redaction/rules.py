"""The rules, as data. A new kind of secret is one line in one of these tables.

- `TOKENS`: vendor formats with a documented prefix: prefix, body alphabet, length (the facts
  come from the vendors' docs, GitHub's list of supported secret-scanning patterns and the
  gitleaks default rule set; the rules are written here afresh).
- `PHRASES`: a secret word followed by its value ("pw is …", "alarm code 4471", "enable secret …").
- `COMMANDS`: a tool on a command line and the flag that carries its password.
- `patterns.STRUCTURES`: shapes that need a regex of their own (PEM blocks, URLs with userinfo,
  connection-string fields, user/password pairs, card numbers).

Priority decides overlaps: specific formats (80+) beat keyword guesses (35-65).
"""

from __future__ import annotations

from dataclasses import dataclass

from relaydesk.redaction.kinds import SecretKind
from relaydesk.redaction.values import Value

API = SecretKind.API_KEY
TOK = SecretKind.TOKEN
SEC = SecretKind.SECRET
PW = SecretKind.PASSWORD
WIFI = SecretKind.WIFI_KEY
CODE = SecretKind.CODE

# Body alphabets (regex character-class contents).
AN = "A-Za-z0-9"
W = r"A-Za-z0-9_\-"
HEX = "0-9a-f"
HEXI = "0-9a-fA-F"
B64 = "A-Za-z0-9+/="
UPD = "A-Z0-9"


@dataclass(frozen=True, slots=True)
class Token:
    """`prefix` (literal, case-sensitive) + `lo`..`hi` characters of `alphabet` + `then` (regex)."""

    name: str
    kind: SecretKind
    prefix: str
    alphabet: str
    lo: int
    hi: int | None = None
    then: str = ""


@dataclass(frozen=True, slots=True)
class Phrase:
    """Secret words (`keys`, a regex) followed by a value of the given shape."""

    name: str
    kind: SecretKind
    keys: str
    value: Value
    priority: int
    # Lower-case substrings, one of which must occur for the rule to run (a cheap skip).
    hints: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Command:
    """A tool (regex) and the flag (regex) right before its password on the same command line."""

    name: str
    tools: str
    flag: str
    # "glued": the value follows the flag directly (mysql -pX); "space": after blanks; "either".
    sep: str = "either"


TOKENS: tuple[Token, ...] = (
    Token("openai-project-key", API, "sk-proj-", W, 40, 300),
    Token("openai-service-account-key", API, "sk-svcacct-", W, 40, 300),
    Token("openai-admin-key", API, "sk-admin-", W, 40, 300),
    Token("openai-legacy-key", API, "sk-", AN, 20, 20, f"T3BlbkFJ[{AN}]{{20}}"),
    Token("anthropic-key", API, "sk-ant-", W, 80, 250),
    Token("stripe-live-secret", API, "sk_live_", AN, 10, 250),
    Token("stripe-test-secret", API, "sk_test_", AN, 10, 250),
    Token("stripe-live-restricted", API, "rk_live_", AN, 10, 250),
    Token("stripe-test-restricted", API, "rk_test_", AN, 10, 250),
    Token("webhook-signing-secret", SEC, "whsec_", B64, 24, 200),  # Standard Webhooks, Stripe
    Token("sendgrid-key", API, "SG.", W, 22, 22, rf"\.[{W}]{{43}}"),
    Token("gitlab-pat", TOK, "glpat-", W, 20, 300),
    Token("gitlab-deploy-token", TOK, "gldt-", W, 20, 300),
    Token("gitlab-runner-token", TOK, "glrt-", W, 20, 300),
    Token("gitlab-pipeline-trigger", TOK, "glptt-", HEXI, 40, 40),
    Token("gitlab-ci-job-token", TOK, "glcbt-", W, 20, 300),
    Token("gitlab-feed-token", TOK, "glft-", W, 20, 300),
    Token("gitlab-runner-registration", TOK, "GR1348941", W, 20, 300),
    Token("google-api-key", API, "AIza", W, 35, 35),
    Token("google-oauth-client-secret", SEC, "GOCSPX-", W, 28, 28),
    Token("google-oauth-access-token", TOK, "ya29.", W, 30, 2000),
    Token("twilio-api-key", API, "SK", HEXI, 32, 32),
    Token("npm-token", TOK, "npm_", AN, 36, 36),
    Token("pypi-token", TOK, "pypi-AgEIcHlwaS5vcmc", W, 50, 500),
    Token("huggingface-token", TOK, "hf_", AN, 34, 40),
    Token("digitalocean-pat", TOK, "dop_v1_", HEX, 64, 64),
    Token("digitalocean-oauth", TOK, "doo_v1_", HEX, 64, 64),
    Token("digitalocean-refresh", TOK, "dor_v1_", HEX, 64, 64),
    Token("shopify-access-token", TOK, "shpat_", HEXI, 32, 32),
    Token("shopify-custom-app", TOK, "shpca_", HEXI, 32, 32),
    Token("shopify-private-app", TOK, "shppa_", HEXI, 32, 32),
    Token("shopify-shared-secret", SEC, "shpss_", HEXI, 32, 32),
    Token("atlassian-api-token", TOK, "ATATT3", W + "=", 150, 300),
    Token("hashicorp-vault-service", TOK, "hvs.", W, 24, 300),
    Token("hashicorp-vault-batch", TOK, "hvb.", W, 24, 300),
    Token("grafana-service-account", TOK, "glsa_", AN, 32, 32, f"_[{HEXI}]{{8}}"),
    Token("grafana-cloud-token", TOK, "glc_", B64, 32, 400),
    Token("databricks-token", TOK, "dapi", HEXI, 32, 32),
    Token("sentry-user-token", TOK, "sntryu_", HEX, 64, 64),
    Token("sentry-org-token", TOK, "sntrys_", B64 + "_", 60, 400),
    Token("newrelic-user-key", API, "NRAK-", UPD, 27, 27),
    Token("postman-api-key", API, "PMAK-", HEX, 24, 24, f"-[{HEX}]{{34}}"),
    Token("linear-api-key", API, "lin_api_", AN, 40, 40),
    Token("notion-token", TOK, "ntn_", AN, 40, 60),
    Token("doppler-token", TOK, "dp.pt.", AN, 40, 50),
    Token("square-access-token", TOK, "sq0atp-", W, 22, 22),
    Token("square-oauth-secret", SEC, "sq0csp-", W, 43, 43),
    Token("heroku-api-key", API, "HRKU-", W, 40, 80),
    Token(
        "age-secret-key",
        SecretKind.PRIVATE_KEY,
        "AGE-SECRET-KEY-1",
        "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
        58,
        58,
    ),
    Token("mailgun-api-key", API, "key-", HEX, 32, 32),
    Token("dropbox-token", TOK, "sl.", W, 130, 1000),
    Token("planetscale-token", TOK, "pscale_tkn_", W, 32, 64),
    Token("planetscale-password", PW, "pscale_pw_", W, 32, 64),
    Token("pulumi-token", TOK, "pul-", HEX, 40, 40),
    Token("onepassword-service-account", TOK, "ops_eyJ", W, 100, 1500),
    Token("jfrog-api-key", API, "AKCp", AN, 69, 69),
    Token("okta-api-token", TOK, "SSWS ", W, 42, 42),
    Token("fly-token", TOK, "fo1_", W, 43, 43),
    Token("tailscale-key", API, "tskey-", W, 30, 120),
    Token("cloudflare-origin-ca-key", API, "v1.0-", HEXI, 24, 24, f"-[{HEXI}]{{146}}"),
)

# Secret words. Key regexes never match inside a longer word (see values.keyed_pattern).
_PASSWORD_KEYS = (
    r"pass(?:word|wd|code)|pwd|p/?w(?:ord)?|pass|pin|pgpassword|mysql_pwd|passwort|mot de passe|contraseña"
)
_WIFI_KEYS = (
    r"(?:wi-?fi|wlan|wireless|ssid)(?:[ \t]+[\w.-]{1,32})?[ \t]+"
    r"(?:password|passphrase|passcode|pass|pwd|pw|key|code)"
    r"|wpa[23]?(?:[- ]?(?:psk|personal))?[ \t]+(?:key|passphrase|password|pass)"
    r"|wpa[- ]?key|wpa_passphrase|wpa_psk|pre-?shared[ -]key|network[ \t]+(?:security[ \t]+)?key|psk"
    r"|(?:the[ \t]+)?wi-?fi(?:[ \t]+for[ \t]+\w+)?"
)
_VPN_KEYS = (
    r"(?:vpn|ipsec|ike|l2tp|tunnel)(?:[ \t]+[\w.-]{1,32})?[ \t]+(?:psk|pre-?shared[ -]key|shared[ -]secret)"
)
_API_KEY_KEYS = (
    r"api[_ -]?key|apikey|api[_ -]?secret|access[_ -]?key(?:[_ -]?id)?|subscription[_ -]?key"
    r"|account[_ -]?key|storage[_ -]?key|master[_ -]?key|function[_ -]?key|license[_ -]?key"
    r"|integration[_ -]?key|secret[_ -]?key|skey|private[_ -]?key(?=[ \t]*[:=])"
)
_TOKEN_KEYS = (
    r"(?:(?:access|refresh|auth|id|session|bearer|bot|app|api|sas|oauth|pat|csrf|security|personal"
    r"[_ -]access|registration|runner|enrollment|enrolment|install|installation|agent|join|bootstrap"
    r"|github|gitlab|slack|discord|telegram)[_ -]?)?token|sig"
)
_SECRET_KEYS = (
    r"(?:(?:client|app|application|shared|consumer|webhook|signing|aws|entra|azure)[_ -]?)?secret"
    r"(?:[_ -]?(?:access[_ -]?)?key|[_ -]?value)?"
)
_CODE_KEYS = (
    r"(?:mfa|2fa|two[- ]factor|multi[- ]factor|backup|recovery|one[- ]time|otp|totp|sms|verification"
    r"|verify|security|auth|authentication|authenticator|login|sign[- ]?in|access|entry|door|gate"
    r"|garage|alarm|panel|keypad|key[- ]?pad|safe|lock|unlock|bios|puk|sim|radio|disarm|duress"
    r"|voicemail|vm|building|lockbox|key[- ]?box|mailbox|confirmation)"
    r"(?:[ -](?:backup|alarm|panel|entry|access|door|unlock))?[ -]"
    r"(?:codes?|pins?|passcodes?|numbers?|combination|combo)"
    r"|one[- ]time[ -]pass(?:code|word)?s?|otp|totp|pins?|passcodes?|puk|combination"
)
_APP_PASSWORD_KEYS = r"app(?:lication)?[ -]?(?:specific[ -])?passwords?|app[ -]pw"
_COMMUNITY_KEYS = r"community(?:[ \t]+(?:string|name))?"
_DEVICE_CONFIG_KEYS = (
    r"snmp-server[ \t]+community|[rw][ow]community|enable[ \t]+(?:secret|password)(?:[ \t]+[0-9])?"
    r"|username[ \t]+\S+(?:[ \t]+privilege[ \t]+\d+)?[ \t]+(?:secret|password)(?:[ \t]+[0-9])?"
    r"|(?:tacacs|radius)(?:-server)?(?:[ \t]+host[ \t]+\S+)?[ \t]+key(?:[ \t]+[07])?"
    r"|key-string(?:[ \t]+[07])?|crypto[ \t]+isakmp[ \t]+key|password[ \t]+7"
    r"|secret[ \t]+word|code[ \t]+word|safe[ \t]+word|duress[ \t]+word|passphrase[ \t]+word"
)

PHRASES: tuple[Phrase, ...] = (
    Phrase("vpn-psk", PW, _VPN_KEYS, Value.PASSWORD, 65, ("vpn", "ipsec", "ike", "l2tp", "tunnel")),
    Phrase(
        "device-config",
        PW,
        _DEVICE_CONFIG_KEYS,
        Value.WORD,
        62,
        (
            "snmp-server",
            "community",
            "enable ",
            "username",
            "tacacs",
            "radius",
            "key-string",
            "isakmp",
            "password 7",
            " word",
        ),
    ),
    Phrase(
        "wifi-key",
        WIFI,
        _WIFI_KEYS,
        Value.PASSWORD,
        60,
        ("wifi", "wi-fi", "wlan", "wireless", "wpa", "psk", "ssid", "pre-shared", "preshared", "network"),
    ),
    Phrase("snmp-community", PW, _COMMUNITY_KEYS, Value.PASSWORD, 58, ("community",)),
    Phrase("app-password", PW, _APP_PASSWORD_KEYS, Value.GROUPS4, 56, ("app",)),
    Phrase(
        "numeric-code",
        CODE,
        _CODE_KEYS,
        Value.CODE,
        55,
        ("code", "pin", "otp", "time", "puk", "combination", "combo", "number"),
    ),
    Phrase("api-key", API, _API_KEY_KEYS, Value.TOKEN, 50, ("key",)),
    Phrase("token", TOK, _TOKEN_KEYS, Value.TOKEN, 50, ("token", "sig")),
    Phrase("secret", SEC, _SECRET_KEYS, Value.TOKEN, 50, ("secret",)),
    Phrase(
        "passphrase",
        PW,
        r"pass[ -]?phrase|seed[ \t]+phrase|recovery[ \t]+phrase",
        Value.PASSPHRASE,
        41,
        ("phrase",),
    ),
    Phrase(
        "password", PW, _PASSWORD_KEYS, Value.PASSWORD, 40, ("pass", "pw", "pin", "p/w", "mot de", "contrase")
    ),
)

COMMANDS: tuple[Command, ...] = (
    Command("mysql", r"mysql(?:dump|admin|sh|import|check)?|mariadb(?:-dump)?", r"-p", "glued"),
    Command("sshpass", r"sshpass", r"-p", "space"),
    Command("putty", r"plink|pscp|psftp|putty", r"-pw", "space"),
    Command("sqlcmd", r"sqlcmd|osql|bcp|isql", r"-P", "space"),
    Command("psexec", r"psexec(?:64)?|paexec", r"-p", "space"),
    Command(
        "smbclient",
        r"smbclient|rpcclient|smbmap|smbcacls|winexe",
        r"(?:-U|--user)(?:=|[ \t]*)[^\s%]+%",
        "glued",
    ),
    Command("curl", r"curl|wget", r"(?:-u|--user)(?:=|[ \t]*)[^\s:'\"]+:", "glued"),
    Command("wget", r"wget", r"--(?:http-|ftp-)?password=", "glued"),
    Command("cmdkey", r"cmdkey", r"/pass:", "glued"),
    Command("ldap", r"ldapsearch|ldapmodify|ldapadd|ldapdelete|ldapwhoami|ldappasswd", r"-w", "space"),
    Command("redis-cli", r"redis-cli", r"-a", "space"),
    Command("mongo", r"mongo(?:sh|dump|restore|import|export)?", r"-p|--password", "space"),
    Command("docker-login", r"(?:docker|podman|nerdctl)[ \t]+login", r"-p|--password", "either"),
    Command("freerdp", r"[xw]?freerdp|rdesktop", r"/p:", "glued"),
    Command("openssl", r"openssl", r"-pass(?:in|out)?[ \t]+pass:", "glued"),
    Command("htpasswd", r"htpasswd", r"-b\w*[ \t]+\S+[ \t]+\S+", "space"),
    Command("runas-psexec-u", r"psexec(?:64)?|paexec|wmic|schtasks", r"/p|-p|/rp", "space"),
    Command("vncpasswd", r"x11vnc", r"-passwd", "space"),
)
