//! PII-free technical texts: logs with timestamps and request ids, code in several languages,
//! SQL, invoices with order numbers and prices, versions, UUIDs, git SHAs, ISBNs and EANs,
//! configs without IP addresses, stack traces, CSVs of measurements, prose with numbers.
//!
//! Constraints: written as such texts look in the wild, not shaped around the scanner; any
//! identifier that resembles PII (order numbers, barcodes, timestamps, hashes) stays in.

pub(crate) const TEXTS: &[&str] = &[
    // 0: application log
    "2024-05-01T12:30:45.123Z INFO  request_id=7f3a9c2e-1b4d-4e8f-9a0b-3c5d7e9f1a2b method=POST \
     path=/v1/messages status=200 latency_ms=482 bytes=18234\n\
     2024-05-01T12:30:46.004Z WARN  retrying after 429 attempt=2 backoff_ms=250",
    // 1: nginx-style log without client addresses
    "[01/May/2024:12:30:45 +0000] \"GET /api/v2/orders/100234567?page=3 HTTP/1.1\" 200 5120 \
     \"-\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
     Chrome/124.0.6367.118 Safari/537.36\" rt=0.042 uct=0.001",
    // 2: Rust code
    "fn parse_header(line: &str) -> Option<(&str, &str)> {\n    let (name, value) = \
     line.split_once(':')?;\n    Some((name.trim(), value.trim()))\n}\n\nconst MAX: u64 = \
     18_446_744_073_709_551_615;\nlet timeout = Duration::from_millis(30_000);",
    // 3: Python code
    "def retry(fn, attempts=5, base_delay=0.25):\n    for i in range(attempts):\n        try:\n\
     \x20           return fn()\n        except TimeoutError:\n            time.sleep(base_delay * \
     2 ** i)\n    raise RuntimeError(f\"gave up after {attempts} attempts\")",
    // 4: SQL
    "SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE \
     o.created_at >= '2024-01-01 00:00:00' AND o.status IN ('paid','shipped') AND o.id > \
     1048576 ORDER BY o.total DESC LIMIT 50 OFFSET 100;",
    // 5: invoice
    "INVOICE #INV-2024-000172\nOrder number: 4023-1187-2290\nDate: 05/01/2024\nItem: Widget Pro \
     x 3 @ $1,234.56 = $3,703.68\nShipping: $12.99\nTax (8.875%): $329.79\nTotal due: $4,046.46\n\
     Payment terms: net 30",
    // 6: version strings
    "Upgraded from v10.0.19045 to v10.0.22631.3447. Node 20.11.1, npm 10.2.4, Python 3.12.2, \
     rustc 1.77.2 (25ef9e3d8 2024-04-09), OpenSSL 3.0.13 30 Jan 2024, kernel 6.5.0-28-generic.",
    // 7: UUIDs
    "tenant 0b1e6a6c-3f0e-4c1f-9f59-2a9d2f7e8c11 created project 9b2d3c4e-5f60-4718-8a9b-\
     0c1d2e3f4a5b; trace id 4bf92f3577b34da6a3ce929d0e0e4736, span 00f067aa0ba902b7",
    // 8: git log
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8\nAuthor: CI Bot\nDate:   Wed May 1 \
     12:30:45 2024 +0000\n\n    Bump serde from 1.0.197 to 1.0.200 (#4812)\n\nMerge: 1a2b3c4 \
     5d6e7f8",
    // 9: ISBNs and EANs in a catalog
    "Catalog: 'Rust in Action' ISBN 978-1-61729-455-6; 'The C Programming Language' ISBN \
     0-13-110362-8; ISBN-13 9780131103627. Barcode EAN 4006381333931, EAN 5901234123457.",
    // 10: semver ranges
    "dependencies: react ^18.2.0, lodash ~4.17.21, typescript >=5.3.3 <6.0.0, @types/node \
     20.12.7, esbuild 0.20.2; peer: react-dom@18.2.0",
    // 11: config file without IPs
    "[server]\nport = 8080\nworkers = 4\nmax_body_bytes = 10485760\nread_timeout = \"30s\"\n\n\
     [database]\nurl = \"postgres://localhost/app\"\npool_size = 16\n\n[cache]\nttl_seconds = \
     3600",
    // 12: Java stack trace
    "Exception in thread \"main\" java.lang.NullPointerException: Cannot invoke \
     \"String.length()\"\n\tat com.example.billing.InvoiceService.total(InvoiceService.java:142)\
     \n\tat com.example.billing.Main.main(Main.java:27)\nCaused by: java.io.IOException: \
     Stream closed",
    // 13: CSV of measurements
    "timestamp,sensor,temp_c,humidity,pressure_hpa\n1714559400,s-01,21.4,45.2,1013.25\n\
     1714559460,s-01,21.5,45.0,1013.21\n1714559520,s-02,19.8,51.7,1012.98\n1714559580,s-02,\
     19.9,51.5,1012.95",
    // 14: Kubernetes YAML
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gateway\nspec:\n  replicas: 3\n  \
     template:\n    spec:\n      containers:\n        - name: gateway\n          image: \
     registry.example.com/gateway:1.14.2\n          resources:\n            limits: {cpu: \
     \"500m\", memory: \"512Mi\"}",
    // 15: Dockerfile
    "FROM rust:1.77-slim AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release --locked\n\
     FROM debian:bookworm-slim\nCOPY --from=build /src/target/release/app /usr/local/bin/app\n\
     EXPOSE 8080\nCMD [\"app\"]",
    // 16: prose with numbers
    "The survey had 1,204 respondents; 63.5% preferred the new layout and 12% had no opinion. \
     Median session length rose from 4m 12s to 5m 03s. We shipped 17 releases in Q1 2024.",
    // 17: JavaScript
    "export async function fetchPage(cursor, limit = 50) {\n  const res = await \
     fetch(`/api/items?cursor=${cursor}&limit=${limit}`);\n  if (!res.ok) throw new \
     Error(`HTTP ${res.status}`);\n  return res.json();\n}",
    // 18: go test output
    "=== RUN   TestParse\n--- PASS: TestParse (0.00s)\n=== RUN   TestRoundTrip\n--- PASS: \
     TestRoundTrip (0.12s)\nPASS\nok  \tgithub.com/example/codec\t0.134s\tcoverage: 87.3% of \
     statements",
    // 19: sha256 checksums
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty.txt\n\
     9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  test.txt",
    // 20: timestamps in many formats
    "Created 2024-05-01 12:30:45, updated 01.05.2024 14:02, due 05/15/2024, epoch 1714559400, \
     ms 1714559400123, RFC 2822: Wed, 01 May 2024 12:30:45 +0200, ISO week 2024-W18.",
    // 21: HTTP headers without credentials
    "HTTP/1.1 200 OK\nContent-Type: application/json; charset=utf-8\nContent-Length: 18234\n\
     Cache-Control: max-age=3600\nETag: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"\n\
     X-Request-Id: req_01HX3K9Q2B7Y5M8N4P6R1T0V2W",
    // 22: cron and schedules
    "# m h dom mon dow command\n*/5 * * * * /usr/local/bin/sync --since 300\n0 3 * * 1-5 \
     /usr/local/bin/backup --keep 14 --compress zstd:19",
    // 23: math / statistics
    "The 95% confidence interval is [0.4312, 0.5188] with n = 2048 and p < 0.001. Pi is \
     3.14159265358979, e is 2.718281828459045 and sqrt(2) is 1.4142135623730951.",
    // 24: package lock snippet
    "\"node_modules/lodash\": {\n  \"version\": \"4.17.21\",\n  \"resolved\": \
     \"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz\",\n  \"integrity\": \
     \"sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==\"\n}",
    // 25: Cargo.lock snippet
    "[[package]]\nname = \"regex-automata\"\nversion = \"0.4.6\"\nsource = \
     \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \
     \"86b83b8b9847f9bf95ef68afb0b8e6cdb80f498442f5179a29fad448fcc1eaea\"",
    // 26: shipping notification
    "Your order 112-4567890-1234567 has shipped! Tracking number 1Z999AA10123456784, estimated \
     delivery Thursday. Parcel weight 2.4 kg, dimensions 30 x 20 x 15 cm.",
    // 27: C code
    "#include <stdint.h>\nstatic const uint32_t crc_table[4] = {0x00000000, 0x77073096, \
     0xEE0E612C, 0x990951BA};\nint main(void) { return (int)(crc_table[1] % 255); }",
    // 28: Terraform
    "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs-2024\"\n  tags = { team = \
     \"platform\", cost_center = \"cc-4411\" }\n}\n\nvariable \"retention_days\" { default = 90 }",
    // 29: metrics exposition
    "# HELP http_requests_total The total number of HTTP requests.\n# TYPE http_requests_total \
     counter\nhttp_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
     http_request_duration_seconds_bucket{le=\"0.05\"} 24054",
    // 30: bank-ish prose without PII
    "Transfers above EUR 10,000 need a second approval. The SWIFT cut-off is 15:30 CET. Batch \
     2024-05-01-003 contained 412 payments totalling EUR 1,284,339.20.",
    // 31: error messages
    "error[E0502]: cannot borrow `v` as mutable because it is also borrowed as immutable\n  --> \
     src/main.rs:14:5\n   |\n12 |     let first = &v[0];\n   |                  - immutable \
     borrow occurs here",
    // 32: markdown table
    "| Region | Q1 | Q2 | Q3 |\n|---|---|---|---|\n| EMEA | 1,204,331 | 1,377,002 | 1,512,940 |\n\
     | APAC | 903,114 | 955,870 | 1,002,443 |\n| AMER | 2,331,090 | 2,410,551 | 2,498,003 |",
    // 33: windows event log
    "Event ID 4624, Logon Type 3, Source Network Address: -, Process ID 0x3e4, Logon GUID \
     {00000000-0000-0000-0000-000000000000}, Build 10.0.20348.2402",
    // 34: physics prose
    "The speed of light is 299 792 458 m/s and Avogadro's number is 6.02214076e23. A year has \
     31 557 600 seconds; the Earth-Sun distance is about 149 597 870 km.",
    // 35: Go code
    "func (s *Server) handle(w http.ResponseWriter, r *http.Request) {\n\tctx, cancel := \
     context.WithTimeout(r.Context(), 5*time.Second)\n\tdefer cancel()\n\tif err := \
     s.db.PingContext(ctx); err != nil {\n\t\thttp.Error(w, err.Error(), 503)\n\t}\n}",
    // 36: Java build output
    "[INFO] BUILD SUCCESS\n[INFO] Total time:  01:42 min\n[INFO] Finished at: \
     2024-05-01T12:30:45+02:00\n[INFO] Downloaded from central: \
     https://repo.maven.apache.org/maven2/org/slf4j/slf4j-api/2.0.13/slf4j-api-2.0.13.jar (68 kB)",
    // 37: product codes
    "SKU WID-PRO-2024-BLK, part no. 8842-0017-33, lot 240501-A, serial SN-00948-2231, model \
     XR-5000, firmware 2.1.14 build 8842",
    // 38: GPS and geometry
    "Waypoint 48.858370, 2.294481 (elevation 35 m); bbox [-122.5247, 37.7081, -122.3569, \
     37.8324]; polygon area 12.44 km2.",
    // 39: Rust test output
    "running 42 tests\ntest validate::tests::luhn ... ok\ntest scanner::tests::idempotent ... \
     ok\n\ntest result: ok. 42 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; \
     finished in 0.31s",
    // 40: JSON API payload
    "{\"id\": \"msg_01XFDUDYJgAACzvnptvVoYEL\", \"type\": \"message\", \"model\": \
     \"claude-3-5-sonnet-20241022\", \"usage\": {\"input_tokens\": 2095, \"output_tokens\": \
     503}, \"stop_reason\": \"end_turn\"}",
    // 41: OpenAPI snippet
    "paths:\n  /v1/orders/{order_id}:\n    get:\n      parameters:\n        - name: order_id\n\
     \x20         in: path\n          schema: {type: integer, format: int64, example: 100234567}",
    // 42: shell history
    "$ git rebase -i HEAD~3\n$ docker run --rm -p 8080:8080 -e RUST_LOG=debug app:1.14.2\n$ \
     kubectl rollout status deploy/gateway --timeout=120s\n$ du -sh target/ # 3.2G",
    // 43: date-heavy schedule
    "Sprint 14: 2024-05-06 to 2024-05-17. Planning Mon 06.05. 10:00-11:30, review Fri 17.05. \
     15:00, retro 17/05/2024 16:00. Holidays: 09.05.2024 and 20.05.2024.",
    // 44: CSS
    ".btn-primary { color: #1a73e8; padding: 0.5rem 1.25rem; border-radius: 4px; transition: \
     background-color 150ms ease-in-out; }\n@media (max-width: 768px) { .grid { \
     grid-template-columns: repeat(2, 1fr); } }",
    // 45: hex dump
    "00000000  7f 45 4c 46 02 01 01 00  00 00 00 00 00 00 00 00  |.ELF............|\n\
     00000010  03 00 3e 00 01 00 00 00  60 10 00 00 00 00 00 00  |..>.....`.......|",
    // 46: PHP with config reads
    "<?php\n$db = new PDO(getenv('DB_DSN'), getenv('DB_USER'), getenv('DB_PASSWORD'));\n$stmt = \
     $db->prepare('SELECT * FROM users WHERE id = ? LIMIT 1');\n$stmt->execute([$id]);",
    // 47: Python settings that read secrets from the environment
    "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\nDEBUG = False\nALLOWED_HOSTS = \
     [\"app.example.com\"]\npassword_validators = settings.AUTH_PASSWORD_VALIDATORS\n\
     api_key = config.get(\"api_key\")",
    // 48: LLM usage log
    "model=claude-3-opus max_tokens=4096 input_tokens=18234 output_tokens=1022 cache_read=0 \
     total_tokens=19256 cost_usd=0.3502 duration_ms=14233 request_id=req_8f3a2b1c9d",
    // 49: Linux dmesg
    "[    0.000000] Linux version 6.5.0-28-generic (buildd@lcy02-amd64-098) (gcc 12.3.0) #29\n\
     [    1.234567] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n[    \
     2.345678] EXT4-fs (nvme0n1p2): mounted filesystem",
    // 50: statistics table
    "sample  mean     sd      p50     p95     p99\nA       12.41    3.02    12.10   17.92   \
     21.33\nB       11.98    2.87    11.75   16.88   20.41\nC       13.05    3.55    12.66   \
     19.47   23.02",
    // 51: ticket text
    "Ticket #48213: customer reports that export job 7781 fails after 2,000 rows. Reproduced on \
     build 2024.05.1-rc2; stack shows OOM in CsvWriter. Workaround: export in pages of 500.",
    // 52: XML
    "<order id=\"100234567\" currency=\"EUR\"><line sku=\"A-1001\" qty=\"2\" \
     price=\"19.99\"/><line sku=\"B-2002\" qty=\"1\" price=\"249.00\"/><total>288.98</total>\
     </order>",
    // 53: assembly
    "mov rax, qword ptr [rbp - 0x18]\nadd rax, 0x10\ncmp rax, 0x7fffffff\njle .LBB0_4\ncall \
     _ZN4core9panicking5panic17h0a1b2c3d4e5f6a7bE",
    // 54: semver prose
    "This release (2.14.0) deprecates the v1 endpoints; they will be removed in 3.0.0. Clients \
     on 2.13.x should upgrade; 2.12.4 and older are unsupported since 2024-03-31.",
    // 55: feature flags / experiment ids
    "exp_2024_05_checkout_v3: control=0.5 variant=0.5 seed=918273645 salt=\"c0ffee\" \
     min_version=5.22.0 rollout_id=8812736450",
    // 56: monitoring alert
    "ALERT HighLatency firing since 2024-05-01 12:30:45 UTC: p99 latency 2.31s > 2s for 10m on \
     service=gateway region=eu-west-1 pod=gateway-7d9f8b6c5d-x2k4p",
    // 57: physics/engineering constants CSV
    "part,length_mm,width_mm,tolerance\nbracket-a,120.50,40.25,0.05\nbracket-b,98.00,35.75,\
     0.05\nplate-c,250.00,180.00,0.10",
    // 58: Ruby code
    "class Invoice < ApplicationRecord\n  belongs_to :customer\n  validates :number, \
     format: { with: /\\AINV-\\d{4}-\\d{6}\\z/ }\n  def total_cents = lines.sum(&:amount_cents)\n\
     end",
    // 59: build ids and hashes
    "artifact gateway-1.14.2-linux-amd64.tar.gz sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12 \
     build 20240501.3 pipeline 118822 job 4412889",
    // 60: Rust paths and generics
    "use std::collections::HashMap;\nimpl<T: Clone + Send + 'static> Cache<T> {\n    pub fn \
     get(&self, k: &str) -> Option<T> { self.map.read().get(k).cloned() }\n}",
    // 61: French prose with numbers
    "La réunion est fixée au 14/06/2024 à 10h30, salle 2.04. Budget prévisionnel : 12 500 €, \
     soit 3,2 % de plus que l'an dernier. Référence dossier 2024-0457.",
    // 62: German prose with numbers
    "Die Lieferung (Auftrag 4500123456, Position 10) kommt am 03.06.2024. Gewicht 1.250 kg, \
     Preis 2.499,00 EUR zzgl. 19 % MwSt. Projektnummer P-2024-118.",
    // 63: Spanish prose with numbers
    "El pedido 2024/00871 se entregará el 12-06-2024. Importe total: 1.349,90 €. Referencia \
     interna 55-7781-A, lote 24051.",
    // 64: port and service list without addresses
    "Services: http 80/tcp, https 443/tcp, postgres 5432/tcp, redis 6379/tcp, grafana \
     3000/tcp, prometheus 9090/tcp, jaeger 16686/tcp",
    // 65: image/file names
    "Assets: logo@2x.png, icon@3x.png, hero-1920x1080.webp, favicon-32x32.png, \
     report_2024_05_01.pdf",
    // 66: phone-free support text
    "To reset your device, hold the power button for 10 seconds, then press volume up 3 times. \
     Error code 0x80070005 means access denied; code 0xC000021A needs a repair install.",
    // 67: long numeric ids
    "Snowflake ids: 1786234987123456789, 1786234987123456790. Tweet 1785000000000000000 was \
     deleted. Discord guild 613425648685547541.",
    // 68: statistics with big numbers
    "World population 8,045,311,447 (2023). GDP 105.4 trillion USD. Internet users 5.35 \
     billion. Seconds since epoch at launch: 1700000000.",
    // 69: OAuth docs without real secrets
    "Send the token in the Authorization header using the Bearer scheme. The access token \
     expires after 3600 seconds; use the refresh_token grant to get a new one. Never log \
     client_secret values.",
    // 70: C++ with scope operators
    "std::vector<std::string> names; auto it = names.begin(); std::cout << \"::\" << \
     std::endl; ns::detail::fn(0x1F); add::dec::fac(10);",
    // 71: network interfaces with MAC addresses, no IPs
    "2: eth0: <BROADCAST,MULTICAST,UP> mtu 1500 qdisc fq_codel state UP\n    link/ether \
     00:1a:2b:3c:4d:5e brd ff:ff:ff:ff:ff:ff\n3: wlan0: link/ether 3c:22:fb:9a:10:01",
    // 72: OAuth documentation mentioning tokens and keys
    "POST /oauth/token with grant_type=client_credentials. The response contains access_token \
     (string), token_type: \"Bearer\", expires_in: 3600. Store the refresh token securely and \
     rotate the signing key every 90 days.",
    // 73: JSON schema with secret-sounding field names
    "{\"password\": {\"type\": \"string\", \"minLength\": 12, \"maxLength\": 128}, \"api_key\": \
     {\"type\": \"string\", \"format\": \"uuid\"}, \"token_ttl\": 3600, \"secret\": null}",
    // 74: .env.example with placeholders
    "DATABASE_URL=postgres://user:password@localhost:5432/app\nOPENAI_API_KEY=your-api-key-here\n\
     SECRET_KEY=changeme\nSTRIPE_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx\nREDIS_PASSWORD=\n\
     ANTHROPIC_API_KEY=sk-ant-xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    // 75: device information
    "Device: Pixel 8, IMEI 356938035643809, Android 14 (UP1A.231005.007), baseband \
     g5300g-230818-231013-B-10863215, serial 2B091FDH3008AE, battery 4575 mAh",
    // 76: tracing attributes
    "span_id=a3ce929d0e0e4736 parent_span_id=00f067aa0ba902b7 trace_flags=01 \
     tracestate=congo=t61rcWkgMzE,rojo=00f067aa0ba902b7 sampled=true",
    // 77: financial report with space thousands separators
    "Chiffre d'affaires T1 : 12 345 678 EUR, résultat net 1 234 567 EUR, 98 765 432 actions en \
     circulation, population desservie 612 345 678 habitants.",
    // 78: time series
    "12:30:45.123 start\n12:30:46.001 step 1\n12:30:47.999 step 2\nduration 00:01:02.5, \
     uptime 3d 04:12:55",
    // 79: scientific identifiers
    "Water CAS 7732-18-5, PubChem CID 962, UniProt P69905, PDB 1A3N, DOI \
     10.1038/s41586-020-2649-2, ORCID 0000-0002-1825-0097, arXiv:2303.08774v6",
    // 80: timetable
    "Bus 142 leaves at 07:45 from stop 3021; change to line 7 at 08:02, platform 4. Fare 2.90 \
     EUR, zones 1-2, valid 90 min.",
    // 81: Rust numeric constants and paths
    "let x = u8::MAX as u32; let y = i64::MIN; assert_eq!(f64::EPSILON, 2.220446049250313e-16); \
     std::mem::size_of::<u128>(); let id = 0xdead_beef_u32;",
    // 82: diff hunk
    "diff --git a/src/scan.rs b/src/scan.rs\nindex 3f2a9b1..c7d8e0f 100644\n@@ -120,7 +120,9 \
     @@ impl Scanner {\n-    let pos = 0;\n+    let mut pos = 0;",
    // 83: container image digest
    "image: nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31\n\
     pullPolicy: IfNotPresent\ntag: 1.25.4-alpine",
    // 84: algebra
    "Solve 3x + 4 = 19, so x = 5. The matrix [[1, 2], [3, 4]] has determinant -2 and \
     eigenvalues (5 +- sqrt(33)) / 2; 10^9 + 7 = 1000000007 is prime.",
    // 85: CI run identifiers
    "BUILD-2024.05.01-1187 run 5523441 shard 3/8 seed 2718281828 attempt 2 of 3, cache key \
     v1-deps-linux-8f14e45fceea167a5a36dedd4bea2543",
];
