//! Python spellings a lesson's program uses are accepted as written.

use netlab::scenario::{self, RunOptions, Scenario};

#[test]
fn a_string_literal_with_encode_is_data() {
    let text = r#"
[scenario]
description = "encode"
[[host]]
name = "pc"
ip = "10.0.0.1/24"
[timeline]
steps = '''
0s pc/server s = socket(AF_INET, SOCK_STREAM)
0s pc/server bind(s, ("127.0.0.1", 8081))
0s pc/server listen(s, 5)
0s pc/server conn, addr = accept(s)
0s pc/server msg = recv(conn, 1024)
0s pc/server send(conn, msg + "SB".encode("utf-8"))
1s pc/client c = socket(AF_INET, SOCK_STREAM)
1s pc/client connect(c, ("127.0.0.1", 8081))
1s pc/client send(c, '你好'.encode('utf-8'))
1s pc/client data = recv(c, 1024)
'''
[expect]
checks = '''
end pc/client data == "你好SB"
'''
"#;
    let scn = Scenario::parse("encode.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let outcome = scenario::run(&scn, &RunOptions::default());
    let failures: Vec<_> = outcome.failures().map(|r| r.detail.clone()).collect();
    assert!(failures.is_empty(), "{failures:?}");
}
