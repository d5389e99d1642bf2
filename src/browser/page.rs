//! The HTML page of `netlab view`: a template with the page's style and code (from `web/`,
//! embedded at build time) and the run's data.
//!
//! The data is deflated and written in base64: JSON of a 100 000-event run is about 50 MB, which
//! the browser's HTML parser alone takes seconds to read, and it deflates about 14 to 1. What a
//! click needs (each frame's fields and bytes, each step's `layers` text: most of the bytes)
//! and the events' texts (the list shows a screenful) are cut into chunks deflated one by one,
//! which the page inflates only when one of their items is shown; the rest is one block the page
//! inflates at start (fflate, web/vendor/).

use serde_json::Value;

const TEMPLATE: &str = include_str!("../../web/view.html");
const STYLE: &str = include_str!("../../web/view.css");
const CODE: &str = include_str!("../../web/view.js");
const FFLATE: &str = include_str!("../../web/vendor/fflate.min.js");

/// Items per lazily inflated chunk: a click inflates at most this many frames' fields or
/// steps' texts (a few hundred kB).
pub const CHUNK: usize = 256;
/// The data's keys that are kept apart in chunks.
const LAZY: [&str; 3] = ["dis", "bytes", "layers"];

/// The whole page. `data` is the JSON of [`super::collect`].
pub fn html(title: &str, data: &Value) -> String {
    let mut main = data.clone();
    let mut chunks = serde_json::Map::new();
    if let Some(obj) = main.as_object_mut() {
        for key in LAZY {
            let Some(Value::Array(items)) = obj.remove(key) else {
                continue;
            };
            let packed: Vec<Value> = items
                .chunks(CHUNK)
                .map(|c| Value::String(pack(&Value::Array(c.to_vec()))))
                .collect();
            chunks.insert(key.to_string(), Value::Array(packed));
        }
        // The events' texts too: the list shows a screenful at a time.
        if let Some(Value::Array(items)) = obj
            .get_mut("ev")
            .and_then(|ev| ev.as_object_mut())
            .and_then(|ev| ev.remove("x"))
        {
            let packed: Vec<Value> = items
                .chunks(CHUNK)
                .map(|c| Value::String(pack(&Value::Array(c.to_vec()))))
                .collect();
            chunks.insert("evx".to_string(), Value::Array(packed));
        }
    }
    chunks.insert("per".into(), CHUNK.into());
    let chunks = Value::Object(chunks).to_string();
    TEMPLATE
        .replace("{{TITLE}}", &super::topo::esc(title))
        .replace("/*{{STYLE}}*/", STYLE)
        .replace("/*{{FFLATE}}*/", FFLATE)
        .replace("/*{{CODE}}*/", CODE)
        // Base64 and JSON of base64 strings hold no `<`: nothing can end the script elements.
        .replacen("{{CHUNKS}}", &chunks, 1)
        .replacen("{{DATA}}", &pack(&main), 1)
}

/// JSON, deflated (raw, RFC 1951), in base64.
fn pack(v: &Value) -> String {
    let z = miniz_oxide::deflate::compress_to_vec(v.to_string().as_bytes(), 6);
    base64(&z)
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (c.get(1).copied().unwrap_or(0) as u32) << 8
            | c.get(2).copied().unwrap_or(0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut n, mut k) = (0u32, 0);
    for ch in s.bytes().filter(|&c| c != b'=') {
        let v = match ch {
            b'A'..=b'Z' => ch - b'A',
            b'a'..=b'z' => ch - b'a' + 26,
            b'0'..=b'9' => ch - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32;
        n = n << 6 | v;
        k += 1;
        if k == 4 {
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
            (n, k) = (0, 0);
        }
    }
    match k {
        2 => out.push((n >> 4) as u8),
        3 => out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]),
        _ => {}
    }
    Some(out)
}

fn unpack(s: &str) -> Option<Value> {
    let z = miniz_oxide::inflate::decompress_to_vec(&unbase64(s)?).ok()?;
    serde_json::from_slice(&z).ok()
}

/// The data a page holds, as [`super::collect`] made it (the chunks put back): for tests and
/// for anyone who wants the JSON out of a page.
pub fn data_of(page: &str) -> Option<Value> {
    let island = |id: &str| -> Option<&str> {
        let start = page.find(&format!("id=\"{id}\">"))? + id.len() + 6;
        let len = page[start..].find("</script>")?;
        Some(&page[start..start + len])
    };
    let mut main = unpack(island("netlab-data")?)?;
    let chunks: Value = serde_json::from_str(island("netlab-chunks")?).ok()?;
    let obj = main.as_object_mut()?;
    for (key, packed) in chunks.as_object()? {
        if key == "per" {
            continue;
        }
        let mut all = Vec::new();
        for p in packed.as_array()? {
            all.extend(unpack(p.as_str()?)?.as_array()?.iter().cloned());
        }
        if key == "evx" {
            obj.get_mut("ev")?
                .as_object_mut()?
                .insert("x".into(), Value::Array(all));
        } else {
            obj.insert(key.clone(), Value::Array(all));
        }
    }
    Some(main)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn base64_round_trips() {
        for n in 0..10 {
            let b: Vec<u8> = (0..n).map(|i| (i * 37 + 200) as u8).collect();
            assert_eq!(super::unbase64(&super::base64(&b)).unwrap(), b);
        }
        assert_eq!(super::base64(b"Man"), "TWFu");
        assert_eq!(super::base64(b"Ma"), "TWE=");
    }

    #[test]
    fn the_page_gives_back_its_data() {
        let layers: Vec<String> = (0..600).map(|i| format!("layers of step {i}")).collect();
        let data = json!({"x": "</script><b>", "layers": layers, "dis": [[1], [2]], "bytes": [],
            "ev": {"t": [1, 2], "x": ["a", "b"]}});
        let page = super::html("t", &data);
        assert!(!page.contains("</script><b>"));
        assert_eq!(super::data_of(&page).unwrap(), data);
        // 600 layers texts: three chunks.
        assert_eq!(page.matches("\"layers\":[").count(), 1);
        let chunks = page.split("id=\"netlab-chunks\">").nth(1).unwrap();
        let chunks: serde_json::Value =
            serde_json::from_str(&chunks[..chunks.find("</script>").unwrap()]).unwrap();
        assert_eq!(chunks["layers"].as_array().unwrap().len(), 3);
    }
}
