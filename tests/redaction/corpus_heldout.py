"""HELD-OUT corpus: written before the rules were tuned, and never used to tune them.

Do not change a rule because a line here fails; add a similar line to `corpus.py` (the tuning part)
and tune on that. The figures in `benchmarks/redaction.py` report this part separately.

Format: a secret line marks each secret with «…»; the markers are removed before redacting and
every marked value must be gone afterwards, while the text before the first secret must stay.
Innocent lines must come back unchanged.

Sources, by group (the facts, not code, were taken; every value is made up by `fake_tokens`):
- phrasing of user/password pairs, numeric codes, device secrets: how MSP technicians write
  ticket notes (r/msp and Spiceworks community threads, ConnectWise/Autotask time-entry notes
  seen in the wild, the demo threads of this project), written afresh for this file;
- vendor token formats: GitHub "Supported secret scanning patterns" docs, the gitleaks default
  rule set (config/gitleaks.toml: prefixes, alphabets and lengths), and the vendors' own docs
  (OpenAI, Anthropic, Stripe, SendGrid, GitLab, Google Cloud, Twilio, Standard Webhooks spec,
  Microsoft Entra "client secret" docs);
- command lines: the man pages / docs of mysql, sshpass, smbclient, curl, plink, sqlcmd, cmdkey;
- network devices: Cisco IOS configuration guides (enable secret, snmp-server community,
  username … secret, tacacs/radius key), Net-SNMP snmpd.conf;
- Apple recovery keys (Apple ID 28-character key, FileVault 24-character key), Google/Apple app
  passwords (16 letters in groups of four): Apple and Google support articles;
- look-alikes: Microsoft support case numbers (16 digits, YYMMDD…), KB/event/HRESULT codes,
  Windows build numbers, serials, IMEIs, GUIDs, hashes, ticket numbers from Autotask/ConnectWise/
  HaloPSA, as they appear in real notes.
"""

from __future__ import annotations

from tests.redaction.fake_tokens import ALNUM, ALNUM_DASH, B64, HEX, LOWER, UPPER_DIGITS, fake, groups

SECRET_LINES: list[str] = [
    # --- user/password pairs in prose --------------------------------------------------------
    "local admin on the new laptops is Administrator / «Tr33house!42»",
    "synology login admin:«nasAdmin2023» still works from the LAN",
    "camera NVR default admin/«12345abc» never changed, told client",
    "logged in as svc_backup with «Backup#2024» and the job ran",
    "signed in as jdoe using «Marigold77» per her instructions",
    "she thinks her password is probably «Buster2019» or something like it",
    "creds for the firewall: fwadmin / «F1rew@ll-Q3»",
    "the old domain admin account is da_mike pw «Mike$ecure9»",
    "user: kiosk01 pass: «Kiosk!4455»",
    "try root / «calvin» on the iDRAC, that is the Dell default",
    "login for the printer web page is admin and the password is «Pr1nt3rAdm»",
    # --- numeric secrets named by the words before them --------------------------------------
    "MFA backup codes for the CEO: «8813 4420», «5521 0937», «6604 1188»",
    "gave him the one-time passcode «774201» over Teams",
    "door alarm code is «4471» for the Saturday visit",
    "alarm panel code «1984#» disarms the back office",
    "her phone PIN: «0613»",
    "the OTP from the SMS was «905512», it expired before he typed it",
    "keypad code for the server room «2580»",
    "verification code «318 552» read out by the user",
    # --- vendor keys with documented prefixes ------------------------------------------------
    f"OPENAI_API_KEY=«{fake('sk-proj-', 64, ALNUM_DASH, 'h1')}»",
    f"the automation uses «{fake('sk-proj-', 120, ALNUM_DASH, 'h2')}» as its key",
    f"Stripe live key in the old config: «{fake('sk_live_', 99, ALNUM, 'h3')}»",
    f"restricted key «{fake('rk_live_', 24, ALNUM, 'h4')}» for the reporting job",
    f"SendGrid key «SG.{fake('', 22, ALNUM_DASH, 'h5')}.{fake('', 43, ALNUM_DASH, 'h6')}» revoked?",
    f"GitLab runner token «{fake('glpat-', 20, ALNUM_DASH, 'h7')}» in the pipeline vars",
    f"anthropic key «{fake('sk-ant-api03-', 93, ALNUM_DASH, 'h8', 'AA')}» pasted in the chat",
    f"maps widget broke, key «{fake('AIza', 35, ALNUM_DASH, 'h9')}» restricted to the wrong referrer",
    f"webhook signing secret «{fake('whsec_', 32, B64, 'h10')}» from the portal",
    f"Twilio API key «{fake('SK', 32, HEX, 'h11')}» and the auth token «{fake('', 32, HEX, 'h12')}»",
    f"Entra app client secret is «{fake('', 3, ALNUM, 'h13')}8Q~{fake('', 34, ALNUM_DASH, 'h14')}»",
    f"npm publish token «{fake('npm_', 36, ALNUM, 'h15')}» in .npmrc",
    f"hugging face token «{fake('hf_', 34, ALNUM, 'h16')}»",
    f"DigitalOcean token «{fake('dop_v1_', 64, HEX, 'h17')}»",
    # --- command lines -------------------------------------------------------------------------
    "mysql -u wp_user -p«Wp!db2024» wordpress < dump.sql",
    "sshpass -p «Pi3Cluster» ssh pi@10.0.4.21",
    "smbclient //nas01/scans -U scanner%«Sc@nner11»",
    "curl -u apiuser:«ApiPass-77» https://halo.example.com/api/tickets",
    "plink -ssh admin@10.1.1.1 -pw «SwitchPw#3»",
    'sqlcmd -S sql02 -U sa -P «SqlSa!2022» -Q "select 1"',
    "cmdkey /add:fs01 /user:CORP\\scan /pass:«ScanCorp55»",
    # --- network devices -----------------------------------------------------------------------
    "snmp community string «pr1v4teRO» on the core switch",
    "snmp-server community «Mon1t0rMe» RO 10",
    "enable secret «Cisc0Enable!»",
    "username netadmin privilege 15 secret «N3tAdm!n»",
    "tacacs-server key «T4c4csK3y»",
    "rocommunity «wh4tsUpDoc» 10.0.0.0/24",
    # --- app passwords, BIOS and unlock codes, recovery keys ----------------------------------
    f"Google app password for the scanner «{groups(4, 4, LOWER, ' ', 'h18')}»",
    f"apple app-specific password «{groups(4, 4, LOWER, '-', 'h19')}» for Outlook",
    "BIOS password «Dell!Bios7» set on all OptiPlex units",
    "bios supervisor pw is «Lenovo2023» per the asset sheet",
    "unlock code for the Honda radio «48213»",
    f"Apple ID recovery key «{groups(7, 4, UPPER_DIGITS, '-', 'h20')}» saved in the vault",
    f"FileVault recovery key: «{groups(6, 4, UPPER_DIGITS, '-', 'h21')}»",
    # --- keys, tokens, secrets in prose -------------------------------------------------------
    "the Wi-Fi for guests is «SunnyDays#12»",
    "passcode for the conference bridge «881205»",
    "vpn shared secret «Ipsec-Sh4red!»",
    f"Meraki dashboard API key «{fake('', 40, HEX, 'h22')}»",
    "psk is «GreenTea-2024» on the branch APs",
    "postgresql://report:«R3p0rt!ng»@10.2.0.5/analytics",
    "Data Source=sql03;Initial Catalog=hr;User ID=hrapp;Password=«HrApp2024!»",
    f"Authorization: token «{fake('ghp_', 36, ALNUM, 'h23')}»",
    "her Okta password is now «Lavender#88»",
    "secret word for the alarm company is «pineapple»",
    "temporary password: «TmpPw-4410»",
]

# Missed when the held-out part was first run against the tuned rules (62 of 64 caught). Left
# as they are, not tuned away, so this part stays a fair measure: a plain dictionary word as a
# default password ("root / calvin") and a named word several words after its key.
KNOWN_MISSES: frozenset[str] = frozenset(
    {
        "try root / «calvin» on the iDRAC, that is the Dell default",
        "secret word for the alarm company is «pineapple»",
    }
)

INNOCENT_LINES: list[str] = [
    "Microsoft case 2404110040001234 opened for the Exchange Online issue",
    "MS support request 2311290010002711, engineer will call tomorrow",
    "TrackingID#2403150010004921 escalated to Microsoft",
    "Autotask ticket T20240911.0017 merged",
    "ConnectWise ticket #884213 set to waiting on client",
    "error code 0x80070643 on KB5034441 again",
    "device manager shows code 43 on the USB hub",
    "exit code 1603 from the MSI, rolled back",
    "HTTP status code 503 from the load balancer",
    "event ID 4740 account lockout from DC02",
    "OS build 22631.3447, feature update pending",
    "switch port Gi1/0/24 set to VLAN 30",
    "IP 10.20.30.40 and mask 255.255.255.0",
    "the password reset link expired, sent a new one",
    "user forgot password, reset via SSPR",
    "password complexity requirements enabled in GPO",
    "admin / user accounts split per the security baseline",
    "TCP/IP stack reset with netsh int ip reset",
    "and/or the proxy is stripping headers",
    "meeting at 10:30 to go over the backup plan",
    "root cause was a full disk on the NAS",
    "logged in as the user to test, profile loads fine",
    "signed in as admin, nothing in the audit log",
    "PIN reset required for Windows Hello after the TPM clear",
    "MFA prompts not arriving, re-registered the authenticator",
    "OTP app was reinstalled, QR code scanned again",
    "alarm company will call back at 3pm",
    "code review done on the PowerShell script",
    "SNMP community configured per the monitoring doc",
    "enable secret is set on all switches per the baseline",
    "community string rotated last month",
    "the key is to restart the spooler before the driver install",
    "token refresh happens every 60 minutes",
    "client secret expires in 30 days, calendar reminder set",
    "Dell service tag 4MZ7Q53",
    "IMEI 490154203237518 on the old handset",
    "serial number SN-4482-1193-7720-5521 on the UPS",
    "GUID 3f2504e0-4f89-11d3-9a0c-0305e82c3301 in the registry",
    "SHA1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12 matches the vendor download",
    "version 7.2.4.1021 of the agent",
    "product key ending in 3V66T is on the sticker",
    "order number 114-3941689-8772232 for the replacement drive",
    "phone +1 415 555 0172 for the site contact",
    "invoice total 1,249.00 paid by card",
    "ssh admin@10.0.0.1 works, telnet is disabled",
    "mysql -u root -p then typed it at the prompt",
    "curl -u apiuser https://halo.example.com/api prompted for the password",
    "the BIOS update to 1.21.0 fixed the fan issue",
    "recovery key is stored in Entra ID, not printed",
    "app password needed for the old Outlook 2013 client",
]
