// Tests of src/io/capture.cpp (`ikeref decode`) against outside oracles: the Wireshark
// captures' expect.json (header fields, payload chains, decrypted inner payloads, ICV/tag
// verdicts), the Wireshark suite's AUTH data, tshark's own JSON produced at test time, and a
// bit-flipped copy whose ICV or tag must fail. Captures come from $IKEREF_CAPTURE_DIR
// (default: the shared testdata folder), searched recursively for *.pcap / *.pcapng.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "src/io/capture.hpp"
#include "tests/support/vectors.hpp"

namespace ike {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string capture_dir() {
    const char* d = std::getenv("IKEREF_CAPTURE_DIR");
    return d && *d ? std::string(d) : test::shared_path("testdata");
}

std::vector<std::string> captures() {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(capture_dir())) {
        const auto ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string find_file(const std::string& name) {
    for (const auto& e : fs::recursive_directory_iterator(capture_dir()))
        if (e.path().filename() == name) return e.path().string();
    return "";
}

io::Decode_options options_with_keys() {
    io::Decode_options o;
    const std::string table = find_file("ikev2_decryption_table.csv");
    if (!table.empty()) o.keys = io::read_ikev2_decryption_table(table);
    return o;
}

std::map<std::size_t, json> decode_all(const std::string& path, const io::Decode_options& o) {
    const auto provider = make_botan_provider();
    std::map<std::size_t, json> out;
    for (const auto& p : io::read_capture(path)) out[p.frame] = io::decode_packet(p, o, *provider);
    return out;
}

std::vector<unsigned> types_of(const json& payloads) {
    std::vector<unsigned> t;
    for (const auto& p : payloads) t.push_back(p["type"].get<unsigned>());
    return t;
}

unsigned number_in_parens(const std::string& s) {  // "IKE_AUTH (35)" -> 35
    const auto open = s.rfind('(');
    return static_cast<unsigned>(std::stoul(s.substr(open + 1)));
}

// --- the expect.json files (tshark 4.0.17 with the keys loaded) ----------------------------

TEST(Decode_capture, matches_every_wireshark_expect_json) {
    const auto o = options_with_keys();
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(capture_dir())) {
        const std::string name = e.path().filename().string();
        if (name.size() < 12 || name.substr(name.size() - 12) != ".expect.json") continue;
        std::ifstream in(e.path());
        const json expect = json::parse(in);
        const std::string cap = (e.path().parent_path() / expect["capture"].get<std::string>()).string();
        if (!fs::exists(cap)) continue;
        ++files;
        const auto records = decode_all(cap, o);
        for (const auto& f : expect["frames"]) {
            const std::size_t n = f["frame"].get<std::size_t>();
            SCOPED_TRACE(name + " frame " + std::to_string(n));
            ASSERT_TRUE(records.count(n));
            const json& r = records.at(n);
            ASSERT_EQ(r["kind"], "IKEv2");
            ASSERT_FALSE(r.contains("error")) << r["error"].dump();
            const json& h = r["header"];
            EXPECT_EQ(h["SPIi"], f["ispi"]);
            EXPECT_EQ(h["SPIr"], f["rspi"]);
            EXPECT_EQ(h["version"], f["version"]);
            EXPECT_EQ(h["exchange_type"].get<unsigned>(), number_in_parens(f["exchange"].get<std::string>()));
            EXPECT_EQ(h["flags"].get<unsigned>(), std::stoul(f["flags"].get<std::string>().substr(0, 4), nullptr, 16));
            EXPECT_EQ(h["message_id"].get<unsigned long>(), std::stoul(f["msgid"].get<std::string>(), nullptr, 16));
            EXPECT_EQ(std::to_string(h["length"].get<unsigned>()), f["ike_length"].get<std::string>());
            std::vector<unsigned> outer, inner, transforms_outer, transforms_inner;
            for (const auto& p : f["payloads"]) {
                const std::string depth = p["depth"];
                if (depth == "outer") outer.push_back(p["type"]);
                if (depth == "inner(decrypted)") inner.push_back(p["type"]);
                if (depth == "outer-sub2") transforms_outer.push_back(1);
                if (depth == "inner-sub2") transforms_inner.push_back(1);
            }
            EXPECT_EQ(types_of(r["payloads"]), outer);
            if (r.contains("sk")) {
                // tshark shows inner payloads only when the ICV (or tag) verified; every SK
                // frame of these captures verifies (README: "Both IKE_AUTH ICVs verify").
                EXPECT_EQ(r["sk"]["status"], "verified");
                if (r["sk"]["status"] == "verified") {
                    EXPECT_EQ(types_of(r["sk"]["inner"]), inner);
                }
            }
            // Proposal/transform ids as tshark lists them.
            for (const auto& p : f["payloads"]) {
                if (p["depth"] != "outer-sub2" || !p.contains("fields")) continue;
                const std::string field = p["fields"][0];  // "Transform ID (ENCR): ENCR_AES_CBC (12)"
                const unsigned id = number_in_parens(field);
                bool found = false;
                for (const auto& sa : r["payloads"])
                    if (sa.contains("proposals"))
                        for (const auto& pr : sa["proposals"])
                            for (const auto& t : pr["transforms"]) found |= t["id"].get<unsigned>() == id;
                EXPECT_TRUE(found) << field;
            }
        }
    }
    EXPECT_GE(files, 2);
}

TEST(Decode_capture, aes256cbc_IKE_AUTH_carries_the_AUTH_data_of_the_wireshark_suite) {
    const json suite = test::load_shared_json("testdata/wireshark-ikev2/wireshark-suite-expectations.json");
    const std::string cap = find_file("ikev2-decrypt-aes256cbc.pcapng");
    if (cap.empty()) GTEST_SKIP() << "aes256cbc capture not under " << capture_dir();
    const std::string want = suite["captures"]["ikev2-decrypt-aes256cbc.pcapng"]["auth_data_expected"];
    const auto records = decode_all(cap, options_with_keys());
    std::vector<std::string> auth;
    for (const auto& [n, r] : records)
        if (r.contains("sk") && r["sk"]["status"] == "verified")
            for (const auto& p : r["sk"]["inner"])
                if (p["type"] == 39) auth.push_back(p["data"]);
    ASSERT_FALSE(auth.empty());
    EXPECT_NE(std::find(auth.begin(), auth.end(), want), auth.end());
    // and the text output shows it
    const auto provider = make_botan_provider();
    std::string text;
    for (const auto& p : io::read_capture(cap)) text += io::render_text(io::decode_packet(p, options_with_keys(), *provider));
    EXPECT_NE(text.find("AUTH method=Shared_Key_Message_Integrity_Code data=" + want), std::string::npos);
    EXPECT_NE(text.find("IKE_AUTH request #1 { SK { IDi, N(INITIAL_CONTACT), IDr, AUTH, SA, TSi, TSr, "
                        "N(MULTIPLE_AUTH_SUPPORTED), N(EAP_ONLY_AUTHENTICATION) } }"),
              std::string::npos);
}

TEST(Decode_capture, aes128ccm12_INFORMATIONAL_Delete_decrypts_and_its_tag_verifies) {
    const std::string cap = find_file("ikev2-decrypt-aes128ccm12-frames.pcap");
    if (cap.empty()) GTEST_SKIP() << "aes128ccm12 capture not under " << capture_dir();
    const auto records = decode_all(cap, options_with_keys());
    const json& r = records.at(3);
    ASSERT_EQ(r["sk"]["status"], "verified");
    EXPECT_EQ(r["sk"]["check"], "AEAD tag");
    ASSERT_EQ(r["sk"]["inner"].size(), 1u);
    EXPECT_EQ(r["sk"]["inner"][0]["name"], "D");
    EXPECT_EQ(r["sk"]["inner"][0]["protocol"], "IKE");  // expect.json: protocol IKE, no SPIs
    EXPECT_EQ(r["sk"]["inner"][0]["spis"].size(), 0u);
    EXPECT_EQ(records.at(4)["sk"]["status"], "verified");
    EXPECT_EQ(records.at(4)["sk"]["inner"].size(), 0u);
}

// --- a copy with one bit flipped inside SK ------------------------------------------------

TEST(Decode_capture, bit_flipped_copy_fails_its_ICV_or_tag) {
    const auto o = options_with_keys();
    int checked = 0;
    for (const std::string name : {"ikev2-decrypt-aes256cbc.pcapng", "ikev2-decrypt-aes128ccm12-frames.pcap"}) {
        const std::string cap = find_file(name);
        if (cap.empty()) continue;
        std::ifstream in(cap, std::ios::binary);
        Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto provider = make_botan_provider();
        for (const auto& p : io::read_capture(cap)) {
            const json r = io::decode_packet(p, o, *provider);
            if (!r.contains("sk") || r["sk"]["status"] != "verified") continue;
            // The IKE message bytes occur once in the file: flip a bit 20 octets before its end
            // (inside the ciphertext or ICV/tag of the SK payload, which is last, §3.14).
            auto at = std::search(file.begin(), file.end(), p.payload.begin(), p.payload.end());
            ASSERT_NE(at, file.end());
            Bytes copy = file;
            const auto pos = static_cast<std::size_t>(at - file.begin()) + p.payload.size() - 20;
            copy[pos] ^= 0x01;
            const std::string tmp = (fs::temp_directory_path() / ("ikeref-flip-" + std::to_string(::getpid()) + "-" + name)).string();
            std::ofstream(tmp, std::ios::binary).write(reinterpret_cast<const char*>(copy.data()),
                                                       static_cast<std::streamsize>(copy.size()));
            const auto flipped = decode_all(tmp, o);
            fs::remove(tmp);
            const json& f = flipped.at(p.frame);
            EXPECT_EQ(f["sk"]["status"], "failed") << name << " frame " << p.frame;
            EXPECT_EQ(f["sk"]["rule"], "7296-2.21-integrity");
            EXPECT_FALSE(f["sk"].contains("inner"));
            ++checked;
        }
    }
    EXPECT_GE(checked, 4);
}

// --- tshark's JSON, produced now ----------------------------------------------------------

std::vector<std::string> as_list(const json& v) {
    std::vector<std::string> out;
    if (v.is_array())
        for (const auto& x : v) out.push_back(x.get<std::string>());
    else if (v.is_string())
        out.push_back(v.get<std::string>());
    return out;
}

std::string strip_colons(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), ':'), s.end());
    return s;
}

TEST(Decode_capture, header_fields_and_payload_chain_equal_tshark_json) {
    if (std::system("tshark -v > /dev/null 2>&1") != 0) GTEST_SKIP() << "tshark is not installed";
    const auto o = options_with_keys();
    int compared = 0;
    for (const auto& cap : captures()) {
        SCOPED_TRACE(cap);
        const std::string out = (fs::temp_directory_path() / ("ikeref-tshark-" + std::to_string(::getpid()) + ".json")).string();
        const std::string cmd = "tshark -n -r '" + cap + "' -T json --no-duplicate-keys > '" + out + "' 2>/dev/null";
        ASSERT_EQ(std::system(cmd.c_str()), 0);
        std::ifstream in(out);
        const json frames = json::parse(in, nullptr, false);
        fs::remove(out);
        ASSERT_FALSE(frames.is_discarded());
        const auto ours = decode_all(cap, o);
        for (const auto& fr : frames) {
            const json& layers = fr["_source"]["layers"];
            if (!layers.contains("isakmp") || !layers["isakmp"].is_object()) continue;
            const json& ts = layers["isakmp"];
            const std::size_t n = std::stoul(layers["frame"]["frame.number"].get<std::string>());
            if (!ours.count(n)) continue;
            const json& r = ours.at(n);
            SCOPED_TRACE("frame " + std::to_string(n));
            if (ts.contains("isakmp.version") && ts["isakmp.version"] == "0x10") {
                EXPECT_EQ(r["kind"], "IKEv1");
                continue;
            }
            if (r["kind"] != "IKEv2" || r.contains("error") || !ts.contains("isakmp.ispi")) continue;
            const json& h = r["header"];
            EXPECT_EQ(h["SPIi"], strip_colons(ts["isakmp.ispi"]));
            EXPECT_EQ(h["SPIr"], strip_colons(ts["isakmp.rspi"]));
            EXPECT_EQ(std::to_string(h["exchange_type"].get<unsigned>()), ts["isakmp.exchangetype"].get<std::string>());
            EXPECT_EQ(h["flags"].get<unsigned>(), std::stoul(ts["isakmp.flags"].get<std::string>(), nullptr, 16));
            EXPECT_EQ(h["message_id"].get<unsigned long>(), std::stoul(ts["isakmp.messageid"].get<std::string>(), nullptr, 16));
            EXPECT_EQ(std::to_string(h["length"].get<unsigned>()), ts["isakmp.length"].get<std::string>());
            std::vector<std::string> chain;
            for (auto t : types_of(r["payloads"])) chain.push_back(std::to_string(t));
            EXPECT_EQ(chain, as_list(ts["isakmp.typepayload"]));
            ++compared;
        }
    }
    EXPECT_GE(compared, 10);
}

TEST(Decode_capture, every_capture_decodes_without_throwing_and_names_what_it_refuses) {
    const auto o = options_with_keys();
    const auto provider = make_botan_provider();
    for (const auto& cap : captures()) {
        for (const auto& p : io::read_capture(cap)) {
            json r;
            ASSERT_NO_THROW(r = io::decode_packet(p, o, *provider)) << cap;
            ASSERT_NO_THROW((void)io::render_text(r)) << cap;
            if (r.contains("error")) {
                EXPECT_FALSE(r["error"]["rule"].get<std::string>().empty()) << cap;
            }
        }
    }
}

TEST(Decode_capture, tcpdump_malformed_captures_are_refused_by_rule_or_recognised) {
    const std::map<std::string, std::string> expected = {
        // ikev2-id-short.out: tcpdump prints "[|v2ID]" (truncated ID); we name the ID length rule.
        {"ikev2-id-short.pcap", "7296-3.5-id-length"},
        {"isakmp-delete-segfault.pcap", "7296-3.1-major-version"},
    };
    const auto provider = make_botan_provider();
    for (const auto& [name, rule] : expected) {
        const std::string cap = find_file(name);
        if (cap.empty()) continue;
        bool seen = false;
        for (const auto& p : io::read_capture(cap)) {
            const json r = io::decode_packet(p, {}, *provider);
            if (r.contains("error")) seen |= r["error"]["rule"] == rule;
        }
        EXPECT_TRUE(seen) << name;
    }
    // IKEv1 and ESP are recognised as such, not reported as malformed IKEv2.
    const std::string v1 = find_file("ISAKMP_sa_setup.pcap");
    if (!v1.empty()) {
        for (const auto& p : io::read_capture(v1)) EXPECT_EQ(io::decode_packet(p, {}, *provider)["kind"], "IKEv1");
    }
    const std::string esp = find_file("espudp1.pcap");
    if (!esp.empty()) {
        for (const auto& p : io::read_capture(esp)) EXPECT_EQ(io::decode_packet(p, {}, *provider)["kind"], "ESP");
    }
}

TEST(Decode_capture, key_table_labels_map_to_transform_ids) {
    EXPECT_EQ(io::encryption_of_label("AES-CBC-256 [RFC3602]"), std::make_pair(Encr_id::ENCR_AES_CBC, std::uint16_t{256}));
    EXPECT_EQ(io::encryption_of_label("AES-CCM-128 with 12 octet ICV [RFC5282]"),
              std::make_pair(Encr_id::ENCR_AES_CCM_12, std::uint16_t{128}));
    EXPECT_EQ(io::encryption_of_label("AES-GCM-256 with 16 octet ICV [RFC5282]"),
              std::make_pair(Encr_id::ENCR_AES_GCM_16, std::uint16_t{256}));
    EXPECT_EQ(io::integrity_of_label("HMAC_SHA2_256_128 [RFC4868]"), Integ_id::AUTH_HMAC_SHA2_256_128);
    EXPECT_EQ(io::integrity_of_label("ANY 96-bits of Authentication [No Checking]"), std::nullopt);
    EXPECT_EQ(io::encryption_of_label("Rot13"), std::nullopt);
}

}  // namespace
}  // namespace ike

// --- tcpdump's own .out text for its IKEv2 captures ------------------------------------------
namespace ike {
namespace {

struct Tcpdump_frame {
    std::string msgid;
    std::string flags;  // letters inside [..]: I, V, R
    std::vector<unsigned> chain;
};

// Frames of a tcpdump -vv .out file that hold "isakmp 2.0": Message ID, flags, top-level payloads.
std::map<std::size_t, Tcpdump_frame> read_tcpdump_out(const std::string& path) {
    static const std::map<std::string, unsigned> types = {
        {"sa", 33},   {"v2ke", 34}, {"v2IDi", 35}, {"v2IDr", 36}, {"v2cert", 37}, {"v2cr", 38},
        {"v2auth", 39}, {"nonce", 40}, {"n", 41}, {"d", 42},  {"v", 43},   {"v2e", 46},
        {"v2cp", 47}, {"v2eap", 48}};
    std::map<std::size_t, Tcpdump_frame> out;
    std::ifstream in(path);
    std::string line;
    std::size_t frame = 0;
    bool ikev2 = false;
    while (std::getline(in, line)) {
        if (line.size() > 6 && line[0] == ' ' && std::isdigit(static_cast<unsigned char>(line[4])) &&
            line.find(" IP") != std::string::npos) {
            frame = std::stoul(line);
            ikev2 = false;
            continue;
        }
        const auto v2 = line.find("isakmp 2.0 msgid ");
        if (v2 != std::string::npos) {
            ikev2 = true;
            Tcpdump_frame f;
            f.msgid = line.substr(v2 + 17, 8);
            const auto open = line.rfind('['), close = line.rfind(']');
            if (open != std::string::npos && close > open) f.flags = line.substr(open + 1, close - open - 1);
            out[frame] = f;
            continue;
        }
        if (ikev2 && line.rfind("    (", 0) == 0) {
            const std::string name = line.substr(5, line.find(':') - 5);
            out[frame].chain.push_back(types.count(name) ? types.at(name) : 0u);
        }
    }
    return out;
}

TEST(Decode_capture, message_ids_flags_and_chains_equal_tcpdump_out) {
    int compared = 0;
    for (const auto& e : fs::recursive_directory_iterator(capture_dir())) {
        if (e.path().extension() != ".out") continue;
        fs::path pcap = e.path();
        pcap.replace_extension(".pcap");
        if (!fs::exists(pcap)) continue;
        const auto expected = read_tcpdump_out(e.path().string());
        if (expected.empty()) continue;
        const auto ours = decode_all(pcap.string(), {});
        for (const auto& [n, f] : expected) {
            SCOPED_TRACE(e.path().filename().string() + " frame " + std::to_string(n));
            ASSERT_TRUE(ours.count(n));
            const json& r = ours.at(n);
            ASSERT_EQ(r["kind"], "IKEv2");
            if (r.contains("error")) continue;  // refused: covered by the malformed tests
            char mid[9];
            std::snprintf(mid, sizeof mid, "%08x", r["header"]["message_id"].get<unsigned>());
            EXPECT_EQ(mid, f.msgid);
            const unsigned flags = r["header"]["flags"].get<unsigned>();
            std::string letters;
            if (flags & 0x08) letters += "I";
            if (flags & 0x10) letters += "V";
            if (flags & 0x20) letters += "R";
            EXPECT_EQ(letters, f.flags);
            EXPECT_EQ(types_of(r["payloads"]), f.chain);
            ++compared;
        }
    }
    EXPECT_GE(compared, 21);
}

}  // namespace
}  // namespace ike
