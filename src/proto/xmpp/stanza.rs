//! Parsing one stanza the splitter cut out (RFC 6120 4.3.2 stream header, 4.9 stream
//! errors, 8 stanzas) and writing XML text safely (RFC 6120 11.6: character data and
//! attribute values escaped).
//!
//! A stanza is parsed on its own with roxmltree inside a wrapper that declares the two
//! namespaces the stream header declared for it (`jabber:client` as the default and the
//! `stream` prefix), with DTDs refused and a node limit.

use roxmltree::{Document, Node, ParsingOptions};

pub const NS_CLIENT: &str = "jabber:client";
pub const NS_STREAM: &str = "http://etherx.jabber.org/streams";
pub const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
pub const NS_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
pub const NS_BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
pub const NS_SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
pub const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
pub const NS_PING: &str = "urn:xmpp:ping";

/// Most nodes one stanza may have.
const NODES_LIMIT: u32 = 2048;

/// Parses `stanza` and hands its element to `f`; `None` if it is not well-formed XML.
pub fn with_stanza<T>(stanza: &str, f: impl FnOnce(Node<'_, '_>) -> T) -> Option<T> {
    let wrapped = format!("<w xmlns='{NS_CLIENT}' xmlns:stream='{NS_STREAM}'>{stanza}</w>");
    let opt = ParsingOptions { allow_dtd: false, nodes_limit: NODES_LIMIT, entity_resolver: None };
    let doc = Document::parse_with_options(&wrapped, opt).ok()?;
    let element = doc.root_element().children().find(|n| n.is_element())?;
    Some(f(element))
}

/// The attributes of the stream header (`id`, `from`, `version`), from its open tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamHeader {
    pub id: String,
    pub version: String,
}

/// Parses the `<stream:stream ...>` open tag; `None` unless it is the jabber:client stream.
pub fn stream_header(open_tag: &str) -> Option<StreamHeader> {
    let body = open_tag.strip_suffix('>')?;
    let closed = format!("{body}/>");
    let opt = ParsingOptions { allow_dtd: false, nodes_limit: 8, entity_resolver: None };
    let doc = Document::parse_with_options(&closed, opt).ok()?;
    let el = doc.root_element();
    let ok = el.tag_name().namespace() == Some(NS_STREAM)
        && el.tag_name().name() == "stream"
        && el.lookup_namespace_uri(None) == Some(NS_CLIENT);
    ok.then(|| StreamHeader {
        id: el.attribute("id").unwrap_or_default().to_string(),
        version: el.attribute("version").unwrap_or_default().to_string(),
    })
}

/// The first child element named `name` in namespace `ns`.
pub fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns))
}

/// True if `node` is element `name` in namespace `ns`.
pub fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace() == Some(ns)
}

/// The element's text content (character data of its direct children).
pub fn text(node: Node<'_, '_>) -> String {
    node.children().filter_map(|c| c.text()).collect()
}

/// Escapes character data and attribute values (`&`, `<`, `>`, `'`, `"`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_prefixed_and_default_namespace_stanzas() {
        let n =
            with_stanza("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>", |n| {
                (is(n, NS_STREAM, "features"), child(n, NS_BIND, "bind").is_some())
            });
        assert_eq!(n, Some((true, true)));
        let t = with_stanza("<iq type='get' id='a&amp;b'><x>1&lt;2</x></iq>", |n| {
            (is(n, NS_CLIENT, "iq"), n.attribute("id").unwrap().to_string(), text(n.first_element_child().unwrap()))
        });
        assert_eq!(t, Some((true, "a&b".into(), "1<2".into())));
        assert_eq!(with_stanza("<iq><x></iq>", |_| ()), None);
        assert_eq!(with_stanza("<!DOCTYPE x [<!ENTITY a 'b'>]><iq/>", |_| ()), None);
    }

    #[test]
    fn reads_the_stream_header() {
        let h = stream_header(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' version='1.0' from='localhost'>",
        );
        assert_eq!(h, Some(StreamHeader { id: "s1".into(), version: "1.0".into() }));
        assert_eq!(
            stream_header("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>"),
            None
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(escape("a<'\"&>"), "a&lt;&apos;&quot;&amp;&gt;");
    }
}
