//! The HTML page of `netlab view`: a template with the page's style and code (from `web/`,
//! embedded at build time) and the run's data as a JSON island.

const TEMPLATE: &str = include_str!("../../web/view.html");
const STYLE: &str = include_str!("../../web/view.css");
const CODE: &str = include_str!("../../web/view.js");

/// The whole page. `data` is the JSON of [`super::collect`].
pub fn html(title: &str, data: &serde_json::Value) -> String {
    // `</` inside the JSON would end the script element; `<\/` is the same string to JSON.
    let json = data.to_string().replace("</", "<\\/");
    TEMPLATE
        .replace("{{TITLE}}", &super::topo::esc(title))
        .replace("/*{{STYLE}}*/", STYLE)
        .replace("/*{{CODE}}*/", CODE)
        .replacen("{{DATA}}", &json, 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_data_cannot_end_its_script_element() {
        let page = super::html("t", &serde_json::json!({"x": "</script><b>"}));
        let island = page.split("id=\"netlab-data\"").nth(1).unwrap();
        let end = island.find("</script>").unwrap();
        assert!(island[..end].contains("<\\/script>"));
    }
}
