#!/usr/bin/env bash
# Seeds the fuzz corpora (not committed) from the test fixtures, plus the sample envelopes
# of ../shared/spec when present, then runs every target for $1 seconds (default 60).
#   fuzz/seed.sh 300      # five minutes each
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
mkdir -p fuzz/corpus/{soap_decode,soap_lift,uci_parse,http_request_head,digest_header,state_file,testacs_script,replay_csv,control_request,name_path,schema_value,uci_doc,uci_codec,netlink_parse,transfer_record,cr_guards,apply_status,http_coding,stun_message,udp_conn_request,du_parse,icmp_echo,dns_answer,ftp_reply,ftp_url,xmpp_stream,udp_echo_plus,plugin_line,oci_parse,oci_image,dhcp_option,http_diag_response,vendor_schema,ubus_message,dhcp_leases,baresip_ctrl,baresip_accounts,uci_lan,proc_net_tcp,bridge_fdb,nl80211_parse,mountinfo,smbconf,exports,account_files,uci_services,tc_qdisc,oci_layer,dnsmasq_option,udpst_pdu,nl80211_scan,x509_cert,ddns_runtime,upnp_leases,ethtool_rmon,ipv6cp_proc,http1_response}
printf 'Parameter,Object,Writable,Value,Value type\nDevice.A,false,true,"1,2",xsd:string\n' > fuzz/corpus/replay_csv/dump
cp tests/fixtures/soap/*.xml fuzz/corpus/soap_decode/
cp tests/fixtures/soap/*.xml fuzz/corpus/soap_lift/
[ -d ../shared/spec/samples ] && cp ../shared/spec/samples/*.xml fuzz/corpus/soap_decode/ || true
cp platform/openwrt/files/cwmpd.config fuzz/corpus/uci_parse/ 2>/dev/null || true
printf 'GET /cr HTTP/1.1\r\nHost: a\r\nAuthorization: Digest username="u", realm="cwmpd", nonce="1.2.3", uri="/cr", response="00", qop=auth, nc=00000001, cnonce="c"\r\n\r\n' > fuzz/corpus/http_request_head/get
printf 'Digest realm="r", qop="auth,auth-int", nonce="abc", opaque="o", algorithm=MD5-sess, stale=true, Basic realm="x"' > fuzz/corpus/digest_header/challenge
printf 'cwmpd-state 1\nparameter_key\tk\nevent\tM Reboot\tx\\ty\nvalue\tA\tb\nattribute\tA\t2\tSubscriber\nend\n' > fuzz/corpus/state_file/state
printf 'GetParameterValues Device.\nexpect Fault 9005\nSetParameterValues k A int 1\n' > fuzz/corpus/testacs_script/s
printf 'set Device.X a\\sb\\tc\\n\\\\\n' > fuzz/corpus/control_request/line
printf 'autonomous-transfer-complete\0download\0000\0001\0http://a b\0001\0Firmware\0Upgrade Image' > fuzz/corpus/control_request/args
printf '\x05\x00aa:bb:cc:dd:ee:ff' > fuzz/corpus/schema_value/mac
printf '\x00\x00((25[0-5]|2[0-4][0-9])\\.){3}\x00192.168.1.1' > fuzz/corpus/schema_value/pattern
for f in tests/fixtures/openwrt/etc/config/*; do printf '\x00' | cat - "$f" > "fuzz/corpus/uci_doc/$(basename "$f")"; done
for f in tests/fixtures/openwrt-24.10/etc/config/*; do cat "$f" > "fuzz/corpus/uci_codec/$(basename "$f")"; printf '\x01true' >> "fuzz/corpus/uci_codec/$(basename "$f")"; done
printf "config rule 'm'\n\toption src_ip '!10.0.0.0/255.255.0.0'\n\toption dest_ip 'fd00::/64'\n\x01/16" > fuzz/corpus/uci_codec/fw_masks
# wifi4: hostapd formats of a wifi-iface (PLMN items, auth type, quoted SSID, names, realms)
printf "config wifi-iface 'w'\n\tlist iw_anqp_3gpp_cell_net '244,91'\n\toption iw_network_auth_type '00https://a/'\n\toption osu_ssid '4f5355'\n\tlist iw_venue_name 'eng:Cafe'\n\tlist iw_nai_realm '0,a.example;b.example,13[5:6]'\n\toption htmode 'VHT80'\n\x0124491,310026" > fuzz/corpus/uci_codec/wifi4
cp tests/fixtures/openwrt-24.10/etc/config/network fuzz/corpus/uci_lan/network
printf '\x014294967301,32' >> fuzz/corpus/uci_lan/network
printf '  sl  local_address rem_address   st\n   0: 0100007F:0050 00000000:0000 0A 0 0 0\n   1: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 01 0\n' > fuzz/corpus/proc_net_tcp/tcp
printf '\x07\x00\x00\x00\x05\x00\x00\x00\x02\x00\x00\x00\x0a\x00\x02\x00\x02\x00\x00\x00\x00\x07\x00\x00' > fuzz/corpus/bridge_fdb/entry
cp tests/fixtures/linux/proc/meminfo fuzz/corpus/netlink_parse/ 2>/dev/null || true
printf 'exit 0\n' > fuzz/corpus/apply_status/exit
printf '\xac\xe1\x00\x14\x00\x01\x00\x07\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' > fuzz/corpus/udpst_pdu/setup
printf '\xbe\xef\x00\x00\x00\x00\x00\x01\x04\xc6\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00' > fuzz/corpus/udpst_pdu/load
printf '# keys\n0,legacy\t# comment\n0x03 , three\n' > fuzz/corpus/udpst_pdu/keyfile
printf '\x45\x00\x00\x1c\x00\x00\x00\x00\x40\x01\x00\x00\xc0\x00\x02\x01\xc0\x00\x02\x02\x00\x00\xf7\xfc\x00\x02\x00\x01' > fuzz/corpus/icmp_echo/reply
printf '\x00\x07\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x07' > fuzz/corpus/dns_answer/a
printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' > fuzz/corpus/http_diag_response/head
printf 'HTTP/1.0 302 Found\r\nConnection: keep-alive\r\nLocation: ../x?y\r\nSet-Cookie: s=1; Max-Age=0\r\nContent-Length: 0\r\n\r\n' > fuzz/corpus/http1_response/head
printf 'https://[::1]:8443/acs?x#f\n/next' > fuzz/corpus/http1_response/url
printf '\x0a5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n' > fuzz/corpus/http_diag_response/chunks
printf 'gzip\0\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00' > fuzz/corpus/http_coding/empty
printf '\x01\x01\x00\x0c\x21\x12\xa4\x42abcdefghijkl\x00\x20\x00\x08\x00\x01\xa1\x47\xe1\x12\xa6\x43' > fuzz/corpus/stun_message/xor
printf 'GET http://198.51.100.7:40001?ts=1700000000&id=1&un=u&cn=c%%20d&sig=0123456789abcdef0123456789abcdef01234567 HTTP/1.1\r\nHost: h\r\n\r\n' > fuzz/corpus/udp_conn_request/get
printf '\x14\x00\x00\x00\x03\x00\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' > fuzz/corpus/netlink_parse/done
printf 'next\t3\t2\nunit\t2\tu\thello\t1.0\tacme\thttp://h/a\t1\nop\t1\tk\t0\tapplying\tinstall\t+http://h/a\t\t\t\t\t\t+\tu\thello\t1.0\tacme\t1\t0\t0001-01-01T00:00:00Z\t\t\t\t\t\t\t\t\t\t\n' > fuzz/corpus/du_parse/records
printf '\x03220-Welcome\r\n220 ready\r\n234 TLS\r\n200 PBSZ=0\r\n200 PROT\r\n331 pw\r\n230 in\r\n200 I\r\n213 5\r\n229 Entering Extended Passive Mode (|||40001|)\r\n150 go\r\n226 done\r\n221 bye\r\n' > fuzz/corpus/ftp_reply/tls
printf 'ftp://u:p%%40w@[::1]:2121/d/f%%20g;type=i\nuser\npass\n(|||40001|) (127,0,0,1,156,64)' > fuzz/corpus/ftp_url/url
printf 'Package: hello\nVersion: 1.0-1\nMaintainer: A <a@b>\n' > fuzz/corpus/du_parse/control
printf "\x07<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s' version='1.0'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features><iq type='get' id='r' from='a@b/c'><connectionRequest xmlns='urn:broadband-forum-org:cwmp:xmppConnReq-1-0'><username>u</username><password>p</password></connectionRequest></iq></stream:stream>" > fuzz/corpus/xmpp_stream/session
printf '\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00pad' > fuzz/corpus/udp_echo_plus/request
printf '0 ok 1 test\n3 ok a%%20b %%-\n4 err notwritable read only\nnotify Device.X.1.Y\n' > fuzz/corpus/plugin_line/replies
printf 'Package: app\nVersion: 1.0~rc1\nDescription: x\nExec: /bin/app -x "y"\n' > fuzz/corpus/oci_parse/control
cp examples/plugins/x_example_sensor.schema fuzz/corpus/vendor_schema/
printf '1.10\n1.9a~b\n{"ociVersion": "1.0.0", "id": "app", "pid": 42, "status": "running"}\n' > fuzz/corpus/oci_parse/state
printf '{"schemaVersion": 2, "manifests": [{"digest": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]}' > fuzz/corpus/oci_image/index
printf '{"config": {"Entrypoint": ["/bin/app"], "Cmd": ["-v"], "Env": ["A=\\u00e9"]}}\n./usr/bin/app\netc/.wh.motd\nvar/.wh..wh..opq\n../x\n' > fuzz/corpus/oci_image/config
mkdir -p fuzz/corpus/oci_layer/d && printf 'x' > fuzz/corpus/oci_layer/d/f && ln -sf /etc fuzz/corpus/oci_layer/d/l && tar -C fuzz/corpus/oci_layer -cf fuzz/corpus/oci_layer/layer.tar d && gzip -kf fuzz/corpus/oci_layer/layer.tar && rm -r fuzz/corpus/oci_layer/d
printf 'app:1\napp:x:7:8::/:/bin/sh\n' > fuzz/corpus/oci_layer/user
printf 'Device.IP.Interface.*.IPv4Address.[lan-v4].IPAddress' > fuzz/corpus/name_path/addressed
printf 'Device.NAT.PortMapping.[web].' > fuzz/corpus/name_path/alias
printf '\x01\x10http://acs.test/\x02\x03PC1\x03\x015\x04\x0b\xb8\xff' > fuzz/corpus/dhcp_option/opt43
printf '\x00\x00\x0d\xe9\x00\x01\x00\x0bhttp://a/b/' > fuzz/corpus/dhcp_option/opt17
printf '\x00\x00\x0d\xe9\x0e\x04\x06A1B2C3\x05\x04GW-1' > fuzz/corpus/dhcp_option/opt125
printf '1:10:68:74:74:70' > fuzz/corpus/dhcp_option/hex
for f in passwd group shadow shells openwrt_release; do cp tests/fixtures/system/etc/$f fuzz/corpus/account_files/; done
printf 'dhcp-acs v4 0103687474\n' > fuzz/corpus/control_request/dhcp
printf 'manageable-device add 2:0:0:a:b:c 00000de9\n' > fuzz/corpus/control_request/device
printf '\x00\x04\x00\x01\x00\x00\x00\x00\x00\x00\x00\x20\x02\x00\x00\x1anetwork.interface.wan\x00\x00\x00' > fuzz/corpus/ubus_message/lookup
printf 'ipv4-address/0/address\x00\x00\x81\x00\x00\x30\x00\x0cipv4-address\x00\x00\x00\x82\x00\x00\x18\x00\x00\x00\x00\x83\x00\x00\x10\x00\x07address\x00a\x00\x00\x00' > fuzz/corpus/ubus_message/table
printf '1733580000 02:aa:bb:cc:dd:01 192.168.1.23 laptop 01:02:aa:bb:cc:dd:01\n0 02:aa:bb:cc:dd:02 192.168.1.24 * *\nduid 00:01:00:01\n' > fuzz/corpus/dhcp_leases/dnsmasq
printf '97:{"event":true,"type":"REGISTERING","class":"register","accountaor":"sip:bob@127.0.0.1:25070"},79:{"response":true,"ok":true,"data":"\\n--- User Agents (0) ---\\n\\n","token":"t1"},' > fuzz/corpus/baresip_ctrl/events
printf '# c\n<sip:alice@h:5070;transport=tcp>;auth_user=a;auth_pass=p;outbound="sip:p:5060;transport=udp";regint=60\nnext 3\nnetwork 1 Enable true\nclient 1 Network Device.Services.VoiceService.1.SIP.Network.1\n' > fuzz/corpus/baresip_accounts/accounts
printf 'fe800000000000000211223344556677 07 0a 20 80 pppoe-wan\nfe8000000000000002aabbfffecc0001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 pppoe-wan\n' > fuzz/corpus/ipv6cp_proc/ppp
# ethtool STATS_GET reply: genl header, an rmon group (id 3) with undersize 3 and a 65-127 bucket of 71
printf '\x21\x01\x00\x00\x3c\x00\x04\x80\x08\x00\x02\x00\x03\x00\x00\x00\x10\x00\x04\x80\x0c\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x20\x00\x05\x80\x08\x00\x07\x00\x41\x00\x00\x00\x08\x00\x08\x00\x7f\x00\x00\x00\x0c\x00\x09\x00\x47\x00\x00\x00\x00\x00\x00\x00' > fuzz/corpus/ethtool_rmon/rmon
printf '\x13\x01\x00\x00\x0a\x00\x06\x00\x02\x00\x00\x00\x00\x01\x00\x00\x14\x00\x15\x80\x05\x00\x07\x00\xcc\x00\x00\x00\x08\x00\x02\x00\x07\x00\x00\x00' > fuzz/corpus/nl80211_parse/station
printf '\x33\x01\x00\x00\x18\x00\x54\x80\x08\x00\x01\x00\x3c\x14\x00\x00\x05\x00\x02\x00\xa1\x00\x00\x00\x04\x00\x03\x00' > fuzz/corpus/nl80211_parse/survey
printf '\x03\x01\x00\x00\x08\x00\x01\x00\x00\x00\x00\x00\x20\x00\x16\x80\x1c\x00\x01\x80\x18\x00\x01\x80\x14\x00\x00\x80\x08\x00\x01\x00\x6c\x09\x00\x00\x08\x00\x01\x00\x85\x09\x00\x00' > fuzz/corpus/nl80211_parse/wiphy
printf '\x07\x01\x00\x00\x08\x00\x03\x00\x05\x00\x00\x00\x0c\x00\x04\x00wlan0\x00\x00\x00\x0b\x00\x34\x00OpenWrt\x00\x08\x00\x26\x00\x6c\x09\x00\x00' > fuzz/corpus/nl80211_parse/interface
# wifi4: a GET_STATION with NL80211_STA_INFO_RX_DROP_MISC (28, u64 12)
printf '\x13\x01\x00\x00\x0a\x00\x06\x00\x02\x00\x00\x00\x00\x21\x00\x00\x10\x00\x15\x80\x0c\x00\x1c\x00\x0c\x00\x00\x00\x00\x00\x00\x00' > fuzz/corpus/nl80211_parse/station_drops
# A NEW_SCAN_RESULTS payload: BSS nest with BSSID, 2437 MHz, capability ESS|Privacy, IEs
# SSID "Cafe", rates, TIM, an RSNE (CCMP, PSK) and HE Operation with 6 GHz information.
printf '\x22\x01\x00\x00\x58\x00\x2f\x80\x0a\x00\x01\x00\x02\x11\x22\x33\x44\x55\x00\x00\x08\x00\x02\x00\x85\x09\x00\x00\x06\x00\x05\x00\x11\x04\x00\x00\x3a\x00\x06\x00\x00\x04Cafe\x01\x04\x82\x84\x0c\x12\x05\x04\x00\x02\x00\x00\x30\x14\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x02\x00\x00\xff\x0c\x24\x00\x00\x02\x00\xfc\xff\x25\x02\x27\x00\x06\x00\x00' > fuzz/corpus/nl80211_scan/bss
printf '29 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n41 29 7:3 / /mnt/usb\\040disk ro master:2 - vfat /dev/loop3 ro\n' > fuzz/corpus/mountinfo/lines
printf '\x00# shares\n[global]\n\tworkgroup = HOME\n; c\n[Music]\n   path = /mnt/usb/music\n   guest ok = yes\n[docs]\npath = /srv/\\\n docs\r\n\x01/mnt/new' > fuzz/corpus/smbconf/conf
cp tests/fixtures/openwrt-24.10/etc/config/mosquitto tests/fixtures/openwrt-24.10/etc/config/uhttpd fuzz/corpus/uci_services/
printf '# exports\n/srv/nfs 192.168.1.0/24(rw,sync) \\\n  10.0.0.1(ro)\n"/mnt/usb/my files" *(ro)\n/mnt/a\\040b\n' > fuzz/corpus/exports/lines
# An RTM_NEWQDISC of a root tbf with TCA_STATS2 (basic: 242 bytes, 1 packet; queue: qlen 1, drops 2)
printf '\x5c\x00\x00\x00\x24\x00\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x01\x80\xff\xff\xff\xff\x01\x00\x00\x00\x08\x00\x01\x00\x74\x62\x66\x00\x30\x00\x07\x80\x14\x00\x01\x00\xf2\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x18\x00\x03\x00\x01\x00\x00\x00\xf2\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' > fuzz/corpus/tc_qdisc/tbf
printf '1234.56 789.01\n' > fuzz/corpus/ddns_runtime/uptime
printf '9.9.9.9#53@eth1' > fuzz/corpus/ddns_runtime/server
printf 'TCP:8080:192.168.1.20:80:1733580000:web\nUDP:3074:192.168.1.21:3074:Xbox\n' > fuzz/corpus/upnp_leases/leases
printf 'option:router,192.168.1.1' > fuzz/corpus/dnsmasq_option/router
printf '252,01:02:0a' > fuzz/corpus/dnsmasq_option/hex
printf '\x06\xc0\xa8\x01\x01' > fuzz/corpus/dnsmasq_option/bytes
printf '# exports\n/srv/nfs 192.168.1.0/24(rw,sync) \\\n  10.0.0.1(ro)\n"/mnt/usb/my files" *(ro)\n/mnt/a\\040b\n' > fuzz/corpus/exports/lines
cp tests/fixtures/system/etc/uhttpd.crt tests/fixtures/system/etc/ssl/certs/ca-certificates.crt fuzz/corpus/x509_cert/
for t in soap_decode soap_lift uci_parse http_request_head digest_header state_file testacs_script replay_csv control_request name_path schema_value uci_doc uci_codec netlink_parse transfer_record cr_guards apply_status http_coding stun_message udp_conn_request du_parse icmp_echo dns_answer ftp_reply ftp_url xmpp_stream udp_echo_plus plugin_line oci_parse oci_image dhcp_option http_diag_response ubus_message dhcp_leases baresip_ctrl baresip_accounts nl80211_parse mountinfo smbconf exports account_files uci_services tc_qdisc oci_layer dnsmasq_option udpst_pdu nl80211_scan x509_cert ddns_runtime upnp_leases ethtool_rmon ipv6cp_proc http1_response; do
  echo "== fuzz $t for ${secs}s"
  (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 2>&1 | tail -3)
done
