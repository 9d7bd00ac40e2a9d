"""TUNING corpus, part one: lines as technicians type them into session notes, with exact markers.

The rules were tuned on this file and `corpus_lines.py`; `corpus_heldout.py` was not used.

Every credential here is made up (or a vendor's published example) but has the real format.
"""

from __future__ import annotations

from typing import NamedTuple

PW = "[redacted password]"
API = "[redacted api key]"
TOK = "[redacted token]"
SEC = "[redacted secret]"
PK = "[redacted private key]"
CONN = "[redacted connection string]"
WIFI = "[redacted wifi key]"
CARD = "[redacted card number]"
REC = "[redacted recovery key]"
CODE = "[redacted code]"


class SecretCase(NamedTuple):
    id: str
    text: str
    secrets: tuple[str, ...]  # substrings that must be gone afterwards
    markers: tuple[str, ...]  # markers that must appear
    keeps: tuple[str, ...] = ()  # context that must still be there


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM_BODY = (
    "MIIEowIBAAKCAQEAsnu2dI1xnIAa/PxZn01oMkddpqmaSjAEWg55th4TrEvotMms\n"
    "3+gSjTraTeUWThcVb2gb4jT6Xsz+y/IkPL+tB1jaJ63oT3ohkemjHAYSxCQPgBpR\n"
    "Ndbw4GrkXE1H18R+2zcLq0Kp56X8R+c+nA9LMgUVhjH0MFi0052yeMuXMD72SlIq\n"
    "yOEo4qyX5P4iae97XeyOM/dx3UpN/Tgx61/GmYtz1vhA/YuvJiyeLc4MoDAbCH37\n"
    "eYgckkJlvW19SFeviopUnEpeCBuNhVMaWvPHKMbIP4rIVEnsRzzWyMrH5uuyPn9L"
)
PEM_RSA = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDa8ds+SsFE3isNIveIHX98eKuMUqiTCMvV1HUaQyYD1AAAAJhQ3Q1cUN0N\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GHP = "ghp_IIQg1owKAs2CY1w5ZGOQ7lR7waxHTYCS4omI"
GHO = "gho_9Bvc6DlhyNvpwQyoPZkSRRmS7go7rUreiNjU"
GH_PAT = "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"
XOXB = "xoxb-2841931620-5529184406210-6W0KMlUguy49RLf1veuPLPkI"
XOXP = "xoxp-2841931620-2839485732-5529184406210-cRrzPSeAggOM7D9Yj9gtloQUhVzhHwR9"
XAPP = "xapp-1-A05F1BMJ3QK-5529184406210-a8ds5e3isnive1hx98ekumuqitcmvv1huaqyyd1dukqaf3mmksk5"
AWS_SESSION = (
    "IQoJb3JpZ2luX2VjEBYaCXVzLWVhc3QtMSJHMEUCIQDa8ds+SsFE3isNIveIHX98eKuMUqiTCMvV1HUaQyYD1AIgKQAf3MMKsk5y"
    "puHn6yvcWeuqOreAII29gKWL8g+RbwqZAwhfEAAaDDEyMzQ1Njc4OTAxMiIMsnu2dI1xnIAa/PxZn01oMkddpqmaSjAEWg55th4T"
)
ENTRA = "abc8Q~Zx7yN2vLk4TqP9sR1mW3eD6fG0hJ5uI8o"
AZ_STORAGE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

SECRET_CASES: list[SecretCase] = [
    # --- passwords -----------------------------------------------------------------------------
    SecretCase(
        "pw-to-prose",
        "reset his pw to Summer2024! and it still fails",
        ("Summer2024!",),
        (PW,),
        ("reset his pw to", "and it still fails"),
    ),
    SecretCase(
        "password-colon", "Username: jsmith  Password: Welcome1!", ("Welcome1!",), (PW,), ("Password:",)
    ),
    SecretCase("pwd-equals", "mapped drive with pwd=Winter#2025 as svc_backup", ("Winter#2025",), (PW,)),
    SecretCase("passwd-colon", "root passwd: L3tM3In$ on the NAS", ("L3tM3In$",), (PW,), ("on the NAS",)),
    SecretCase(
        "the-password-is", "told the user the password is Welcome123! over the phone", ("Welcome123!",), (PW,)
    ),
    SecretCase("pass-is", "local admin pass is Qwerty!23 on LT-0451", ("Qwerty!23",), (PW,), ("LT-0451",)),
    SecretCase("password-is-now", "Her password is now Spring2024# after the reset", ("Spring2024#",), (PW,)),
    SecretCase(
        "password-for-user",
        "new password for jsmith: Autumn#2024 (must change at next logon)",
        ("Autumn#2024",),
        (PW,),
        ("for jsmith",),
    ),
    SecretCase(
        "password-bare-temp", "gave her temp password Welcome123! for first login", ("Welcome123!",), (PW,)
    ),
    SecretCase("p-slash-w", "router p/w: Adm1n!str8tor", ("Adm1n!str8tor",), (PW,)),
    SecretCase(
        "password-quoted-word", 'vendor says the password is "bluebird" for the kiosk', ("bluebird",), (PW,)
    ),
    SecretCase(
        "password-has-been-set", "pw has been reset to Temp-4821 by service desk", ("Temp-4821",), (PW,)
    ),
    SecretCase(
        "cli-flag", "ran mysql -u root --password=R00tPass! on db02, access denied", ("R00tPass!",), (PW,)
    ),
    SecretCase(
        "net-user", "net user jsmith P@ssw0rd1 /add /domain", ("P@ssw0rd1",), (PW,), ("/add /domain",)
    ),
    SecretCase(
        "secure-string",
        "Set-ADAccountPassword jsmith -Reset "
        "-NewPassword (ConvertTo-SecureString 'Spr1ng!2024' -AsPlainText -Force)",
        ("Spr1ng!2024",),
        (PW,),
    ),
    SecretCase(
        "basic-auth",
        "curl -H 'Authorization: Basic YWRtaW46UEBzc3cwcmQh' https://nas01/api",
        ("YWRtaW46UEBzc3cwcmQh",),
        (PW,),
    ),
    SecretCase(
        "yaml-password",
        "smtp:\n  user: scanner@contoso.com\n  password: 'Sc4nT0Mail'\n",
        ("Sc4nT0Mail",),
        (PW,),
    ),
    SecretCase(
        "password-then-reset-to",
        "user forgot her password again, reset it to Welcome1 and unlocked",
        ("Welcome1",),
        (PW,),
        ("and unlocked",),
    ),
    SecretCase(
        "passphrase-words",
        "BitLocker passphrase: correct horse battery staple\nrebooted fine",
        ("correct horse battery staple", "battery"),
        (PW,),
        ("rebooted fine",),
    ),
    SecretCase("pin", "Windows Hello PIN is 482913, user still locked out", ("482913",), (CODE,)),
    SecretCase("mfa-code", "MFA code 739104 was accepted on the second try", ("739104",), (CODE,)),
    SecretCase(
        "two-secrets-one-line",
        "user jsmith pw: Summer2024! and vpn psk=Tr0ub4dor&3 both rejected",
        ("Summer2024!", "Tr0ub4dor&3"),
        (PW,),
        ("both rejected",),
    ),
    # --- Wi-Fi and VPN keys --------------------------------------------------------------------
    SecretCase("vpn-psk", "vpn psk=Tr0ub4dor&3", ("Tr0ub4dor&3",), (PW,), ("vpn psk=",)),
    SecretCase(
        "wifi-password-is", "guest wifi password is BlueSky2024 until Friday", ("BlueSky2024",), (WIFI,)
    ),
    SecretCase("wifi-colon", "Wi-Fi password: office-guest-77", ("office-guest-77",), (WIFI,)),
    SecretCase("wpa2-key", "WPA2 key: CorrectHorse#42 on the AP in room 3", ("CorrectHorse#42",), (WIFI,)),
    SecretCase("wpa-passphrase", "hostapd.conf has wpa_passphrase=Cont0soWlan!", ("Cont0soWlan!",), (WIFI,)),
    SecretCase(
        "wpa-supplicant-psk", 'network={ ssid="Contoso" psk="G4rden-Party" }', ("G4rden-Party",), (WIFI,)
    ),
    SecretCase(
        "network-security-key", "network security key is Pl@netExpress9", ("Pl@netExpress9",), (WIFI,)
    ),
    # --- API keys and tokens ---------------------------------------------------------------------
    SecretCase(
        "aws-key-pair",
        f"aws creds from the .csv: {AWS_ID},{AWS_SECRET}",
        (AWS_ID, AWS_SECRET),
        (API,),
    ),
    SecretCase(
        "aws-cli-config",
        f"aws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}",
        (AWS_ID, AWS_SECRET),
        (API,),
    ),
    SecretCase(
        "aws-session",
        f"ASIAVFM0HZ9HEAHKA2GJ with aws_session_token={AWS_SESSION}",
        ("ASIAVFM0HZ9HEAHKA2GJ", AWS_SESSION[:60], AWS_SESSION[-60:]),
        (API, TOK),
    ),
    SecretCase(
        "github-pat-in-clone-url",
        f"git clone https://{GHP}@github.com/contoso/infra.git fails with 403",
        (GHP,),
        (TOK,),
        ("github.com/contoso/infra.git",),
    ),
    SecretCase("github-oauth", f"token in the CI log: {GHO}", (GHO,), (TOK,)),
    SecretCase("github-fine-grained", f"GITHUB_TOKEN={GH_PAT}", (GH_PAT,), (TOK,), ("GITHUB_TOKEN=",)),
    SecretCase("slack-bot-token", f"Slack bot token {XOXB} stopped posting", (XOXB,), (TOK,)),
    SecretCase("slack-user-token", f"SLACK_USER_TOKEN: {XOXP}", (XOXP,), (TOK,)),
    SecretCase("slack-app-token", f"socket mode app token {XAPP}", (XAPP,), (TOK,)),
    SecretCase(
        "slack-webhook",
        "alerts go to https://hooks.slack.com/services/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",
        ("T024BE7LD/B05F1BMJ3QK/a8dsSsFE3isNIveIHX98eKuM",),
        (TOK,),
        ("https://hooks.slack.com/services/",),
    ),
    SecretCase(
        "teams-webhook",
        "Teams connector: https://contoso.webhook.office.com/webhookb2/1f0e2d3c-aaaa-bbbb-cccc-0123456789ab@"
        "72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e/4a5b6c7d",
        ("IncomingWebhook/9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",),
        (TOK,),
    ),
    SecretCase(
        "entra-client-secret-kv",
        f"app reg client_secret={ENTRA} expires 2025-12",
        (ENTRA,),
        (SEC,),
        ("client_secret=",),
    ),
    SecretCase("entra-client-secret-bare", f"new secret value {ENTRA} copied to the vault", (ENTRA,), (SEC,)),
    SecretCase(
        "jwt-devtools",
        f"copied from devtools > Application > Local Storage: {JWT}",
        (JWT, JWT[40:80]),
        (TOK,),
    ),
    SecretCase("bearer-jwt", f"Authorization: Bearer {JWT}", (JWT[:30],), (TOK,), ("Authorization: Bearer",)),
    SecretCase(
        "bearer-guid",
        "curl -H 'Authorization: Bearer 2f5ae96c-b558-4c7b-a590-a501ae1c3f6c' https://psa/api/tickets",
        ("2f5ae96c-b558-4c7b-a590-a501ae1c3f6c",),
        (TOK,),
    ),
    SecretCase(
        "generic-api-key",
        "vendor portal api_key=sk_live_51HqLy2KZvKYlo2C0aIiE3Hx9",
        ("sk_live_51HqLy2KZvKYlo2C0aIiE3Hx9",),
        (API,),
    ),
    SecretCase(
        "json-api-key",
        '{"apiKey": "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "region": "eu"}',
        ("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",),
        (API,),
        ('"region": "eu"',),
    ),
    SecretCase(
        "x-api-key-header",
        "x-api-key: 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        ("9f8e7d6c5b4a39281706f5e4d3c2b1a0",),
        (API,),
    ),
    SecretCase(
        "refresh-token",
        "refresh_token=0.AXkA7yN2vLk4TqP9sR1mW3eD6fG0hJ5uI8oFRJkdsmI0SAuvOx2JydLH",
        ("0.AXkA7yN2vLk4TqP9sR1mW3eD6fG0hJ5uI8oFRJkdsmI0SAuvOx2JydLH",),
        (TOK,),
    ),
    SecretCase(
        "sas-url",
        "backup target https://stcontoso.blob.core.windows.net/bk?sv=2022-11-02&ss=b&sp=rwl&sig=FRJkdsmI0SAuvOx2JydLHsO%2BpMbt6H0BLJPExr7ntrs%3D",
        ("FRJkdsmI0SAuvOx2JydLHsO%2BpMbt6H0BLJPExr7ntrs%3D",),
        (TOK,),
        ("stcontoso.blob.core.windows.net",),
    ),
    # --- private keys ----------------------------------------------------------------------------
    SecretCase(
        "pem-rsa-block",
        f"key from the old server:\n{PEM_RSA}\nthen restarted nginx",
        (PEM_BODY[:64], "BEGIN RSA"),
        (PK,),
        ("then restarted nginx",),
    ),
    SecretCase(
        "openssh-block", f"id_ed25519 was:\n{OPENSSH}", ("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",), (PK,)
    ),
    SecretCase(
        "pem-truncated",
        f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY[:130]}",
        (PEM_BODY[:64], PEM_BODY[65:129]),
        (PK,),
    ),
    # --- connection strings ----------------------------------------------------------------------
    SecretCase(
        "ado-net",
        "conn string Server=sql01;Database=crm;User Id=sa;Password=Passw0rd;",
        ("Passw0rd",),
        (CONN,),
        ("Server=sql01;Database=crm;User Id=sa;Password=",),
    ),
    SecretCase(
        "odbc-braces",
        "DSN-less: Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql01,1433;Uid=svc_crm;Pwd={Pa55;word};",
        ("Pa55;word",),
        (CONN,),
        ("Uid=svc_crm",),
    ),
    SecretCase(
        "postgres-url",
        "app logs show postgres://app_user:S3cr3t!@db01.internal:5432/crm refusing",
        ("S3cr3t!",),
        (CONN,),
        ("db01.internal:5432/crm",),
    ),
    SecretCase(
        "mongodb-srv",
        "MONGO_URI=mongodb+srv://admin:Mong0Pass@cluster0.ab1cd.mongodb.net/test?retryWrites=true",
        ("Mong0Pass",),
        (CONN,),
        ("cluster0.ab1cd.mongodb.net",),
    ),
    SecretCase("redis-empty-user", "cache is redis://:R3disPass@cache01:6379/0", ("R3disPass",), (CONN,)),
    SecretCase(
        "azure-storage",
        f"DefaultEndpointsProtocol=https;AccountName=stcontoso;AccountKey={AZ_STORAGE_KEY};EndpointSuffix=core.windows.net",
        (AZ_STORAGE_KEY, AZ_STORAGE_KEY[:20]),
        (CONN,),
        ("AccountName=stcontoso",),
    ),
    # --- card numbers and recovery keys ----------------------------------------------------------
    SecretCase(
        "visa-spaces",
        "client read card 4111 1111 1111 1111 over the phone",
        ("4111 1111 1111 1111",),
        (CARD,),
    ),
    SecretCase(
        "mastercard-dashes", "billing card 5500-0000-0000-0004 declined", ("5500-0000-0000-0004",), (CARD,)
    ),
    SecretCase("amex-plain", "amex 378282246310005 on file.", ("378282246310005",), (CARD,)),
    SecretCase(
        "bitlocker",
        "BitLocker recovery key 123456-234567-345678-456789-567890-678901-789012-890123 from Entra",
        ("123456-234567-345678",),
        (REC,),
    ),
]


INNOCENT_CASES: list[tuple[str, str]] = [
    ("ticket-hash", "Ticket #123456 reopened by client"),
    ("autotask-ticket", "see T20240611.0042 for the earlier history"),
    ("guid", "Intune device ID 6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f not syncing"),
    ("guid-braces", r"HKLM\SOFTWARE\Classes\CLSID\{D2E7F1A0-3B4C-4D5E-8F90-A1B2C3D4E5F6}"),
    ("kb-and-hresult", "KB5034441 failed with 0x80070643 again"),
    ("build-number", "OS build 10.0.19045.3930, Office 16.0.17328.20162"),
    ("ipv4", "IP 192.168.10.24/24 gateway 192.168.10.1 DNS 10.0.0.53"),
    ("ipv6-link-local", "ipconfig shows fe80::1c2b:3aff:fe4d:5e6f%12"),
    ("ipv6-full", "AAAA record 2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    ("mac", "MAC 00:1A:2B:3C:4D:5E / 00-1A-2B-3C-4D-5E reserved in DHCP"),
    ("hostname", "FS01.corp.contoso.local is pingable, SMB times out"),
    ("windows-path", r"C:\Users\jsmith\AppData\Local\Microsoft\Outlook\jsmith@contoso.com.ost is 48 GB"),
    ("unc-path", r"\\fs01\share$\Finance\2024 mapped as F:"),
    ("error-code", "0x80070005 access denied when running the installer"),
    ("phone-us", "call back on +1 (555) 123-4567 ext 204"),
    ("phone-uk", "user's mobile +44 20 7946 0958"),
    ("serial", "Dell service tag 7XK9P33, serial CN-0FK1DT-74261-1BC-0A4C"),
    ("non-luhn-card", "customer ref 4111 1111 1111 1112 on the invoice"),
    ("timestamp-digits", "log file app_20240611104512.log rotated"),
    ("password-reset", "User called about password reset"),
    ("password-expired", "the password expired over the weekend"),
    ("password-policy", "changed password policy to 14 chars minimum"),
    ("password-correct", "the password is correct but login fails with 0xC000006D"),
    ("password-never-expires", "password never expires is unchecked on svc_backup"),
    ("must-change", "User must change password at next logon"),
    ("password-masked", "Password: ******** (stored in Keeper)"),
    ("password-reset-date", "password was reset 2024-06-11 by the helpdesk"),
    ("password-stopword", "Password: reset via SSPR"),
    ("token-expired", "token expired, re-authenticated in Teams"),
    ("token-invalid", "refresh token: invalid per event 4771"),
    ("bearer-words", "Bearer authentication fails on /api/v2/tickets"),
    (
        "sha256",
        "Defender flagged setup.exe SHA256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
    ("sha1-commit", "deployed commit 3f9a2b7c1d4e5f60718293a4b5c6d7e8f9012345 to prod"),
    ("dates-times", "2024-06-11 14:32:05, then again 06/11/2024 2:30 PM"),
    ("url-no-creds", "https://portal.azure.com/#view/Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/~/Overview"),
    ("url-with-port", "http://intranet:8080/status returns 503"),
    ("postgres-no-creds", "postgres://db01:5432/crm is reachable from app02"),
    ("integrated-security", "Server=sql01;Database=crm;Integrated Security=true;"),
    ("email", "Email from jsmith@contoso.com bounced, NDR 5.7.1"),
    ("event-id", "Event ID 4625 logon failure, status 0xC000006A, sub status 0xC0000064"),
    ("product-id", "Product ID 00330-80000-00000-AA123"),
    ("meeting-id", "Teams meeting ID 245 678 901 234"),
    ("pass-the-ticket", "pass the ticket to Tier 2 if the pw reset does not help"),
    ("psk-rotated", "PSK rotated last quarter, clients reconnected"),
    ("wifi-changed", "the wifi password was changed yesterday"),
    ("api-key-rotated", "api key rotated, see the vault entry"),
    ("net-user-domain", "net user jsmith /domain shows Account active Yes"),
    ("net-user-prompt", "net user administrator * to set it interactively"),
    ("password-to-vendor", "emailed the password to the vendor through the portal"),
    ("bitlocker-id", "BitLocker recovery key ID 1A2B3C4D, key itself is in Entra"),
    ("version", "updated agent to 2.4.1-beta.3"),
    ("asset-tag", "asset tag 000123456789 moved to room 4"),
    ("imei", "IMEI 356938035643809 on the replacement phone"),
    ("iccid", "SIM ICCID 8944501234567890123 activated"),
    ("password-then-set-ip", "password reset done; set DNS to 10.0.0.53"),
    ("password-then-set-timeout", "the password expired so I set the timeout to 30s"),
    ("password-then-priority", "password reset ticket, changed priority to P2"),
    ("secret-word", "the secret to this one was the proxy PAC file"),
]
