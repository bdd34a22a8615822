"""How to cite a dataset: the text DCOR recommends and the export formats.

DCOR's advice: "Authors (Year). *Title*, Repository URL-with-the-dataset-id".
All formats are built from the ``package_show`` dict, the site's title and the
short URL ``<site>/<dataset id>``.
"""
import json
import re

#: format name → (file suffix, MIME type)
FORMATS = {
    "bibtex": ("bib", "application/x-bibtex"),
    "ris": ("ris", "application/x-research-info-systems"),
    "csl-json": ("json", "application/vnd.citationstyles.csl+json"),
    "datacite-json": ("json", "application/vnd.datacite.datacite+json"),
}


def authors(pkg):
    """The dataset's authors as a list (DCOR keeps them comma-separated)."""
    return [a.strip() for a in re.split(r"[,;]", pkg.get("authors") or "") if a.strip()]


def year(pkg):
    """The year the dataset was created."""
    return (pkg.get("metadata_created") or "")[:4]


def citation_text(pkg, repository, url):
    """``A. One, B. Two (2026). Title, Repository URL``."""
    names = ", ".join(authors(pkg)) or "Anonymous"
    return f"{names} ({year(pkg)}). {pkg.get('title') or pkg['name']}, {repository} {url}"


def _bibtex_escape(text):
    text = re.sub(r"([\\{}])", r"\\\1", text or "")
    return re.sub(r"([&%$#_~^])", r"\\\1", text)


def bibtex(pkg, repository, url):
    """A BibTeX ``@misc`` entry keyed by the dataset name."""
    fields = [("author", " and ".join(_bibtex_escape(a) for a in authors(pkg))),
              ("title", _bibtex_escape(pkg.get("title") or pkg["name"])),
              ("year", year(pkg)), ("publisher", _bibtex_escape(repository)),
              ("howpublished", "Dataset"), ("url", url)]
    if pkg.get("doi"):
        fields.append(("doi", _bibtex_escape(pkg["doi"])))
    body = ",\n".join(f"  {key} = {{{value}}}" for key, value in fields if value)
    key = re.sub(r"[^A-Za-z0-9_-]", "", pkg["name"]) or pkg["id"]
    return f"@misc{{{key},\n{body}\n}}\n"


def ris(pkg, repository, url):
    """A RIS record of type ``DATA``."""
    lines = ["TY  - DATA"] + [f"AU  - {a}" for a in authors(pkg)]
    lines += [f"TI  - {pkg.get('title') or pkg['name']}", f"PY  - {year(pkg)}",
              f"PB  - {repository}", f"UR  - {url}", f"ID  - {pkg['id']}"]
    if pkg.get("doi"):
        lines.append(f"DO  - {pkg['doi']}")
    lines += [f"KW  - {t['name']}" for t in pkg.get("tags", [])]
    if pkg.get("notes"):
        lines.append("AB  - " + " ".join(pkg["notes"].split()))
    lines.append("ER  - ")
    return "\r\n".join(line.replace("\n", " ") for line in lines) + "\r\n"


def _date_parts(iso):
    return [[int(part) for part in (iso or "")[:10].split("-") if part]]


def csl_json(pkg, repository, url):
    """A CSL-JSON list with one item of type ``dataset``."""
    item = {"id": pkg["id"], "type": "dataset", "title": pkg.get("title") or pkg["name"],
            "author": [{"literal": a} for a in authors(pkg)],
            "issued": {"date-parts": _date_parts(pkg.get("metadata_created"))},
            "publisher": repository, "URL": url}
    if pkg.get("doi"):
        item["DOI"] = pkg["doi"]
    if pkg.get("notes"):
        item["abstract"] = pkg["notes"]
    return json.dumps([item], indent=2, ensure_ascii=False)


def datacite(pkg, repository, url):
    """DataCite JSON (the attributes of a DataCite metadata record)."""
    record = {
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "RT-DC data"},
        "creators": [{"name": a, "nameType": "Personal"} for a in authors(pkg)],
        "titles": [{"title": pkg.get("title") or pkg["name"]}],
        "publisher": repository, "publicationYear": year(pkg), "url": url,
        "identifiers": [{"identifier": url, "identifierType": "URL"}],
        "dates": [{"date": (pkg.get("metadata_created") or "")[:10], "dateType": "Created"},
                  {"date": (pkg.get("metadata_modified") or "")[:10], "dateType": "Updated"}],
        "subjects": [{"subject": t["name"]} for t in pkg.get("tags", [])],
        "sizes": [f"{sum(r.get('size') or 0 for r in pkg.get('resources', []))} bytes"],
        "formats": sorted({r["format"] for r in pkg.get("resources", []) if r.get("format")}),
        "rightsList": [{"rights": pkg.get("license_title") or pkg.get("license_id") or "",
                        **({"rightsUri": pkg["license_url"]} if pkg.get("license_url") else {})}],
        "descriptions": ([{"description": pkg["notes"], "descriptionType": "Abstract"}]
                         if pkg.get("notes") else []),
    }
    if pkg.get("doi"):
        record["doi"] = pkg["doi"]
    return json.dumps(record, indent=2, ensure_ascii=False)


EXPORTERS = {"bibtex": bibtex, "ris": ris, "csl-json": csl_json, "datacite-json": datacite}


def schema_org(pkg, repository, url, resource_url):
    """The schema.org ``Dataset`` of the page (JSON-LD), with one download per resource."""
    doc = {
        "@context": "https://schema.org", "@type": "Dataset", "@id": url, "url": url,
        "identifier": [url] + ([f"https://doi.org/{pkg['doi']}"] if pkg.get("doi") else []),
        "name": pkg.get("title") or pkg["name"], "description": pkg.get("notes") or pkg["name"],
        "creator": [{"@type": "Person", "name": a} for a in authors(pkg)],
        "dateCreated": pkg.get("metadata_created"), "dateModified": pkg.get("metadata_modified"),
        "keywords": [t["name"] for t in pkg.get("tags", [])],
        "publisher": {"@type": "Organization", "name": repository},
        "isAccessibleForFree": True,
        "distribution": [{"@type": "DataDownload", "name": r["name"],
                          "contentUrl": resource_url(r), "encodingFormat": r.get("format") or
                          r.get("mimetype") or "application/octet-stream",
                          "contentSize": f"{r.get('size') or 0} B"}
                         for r in pkg.get("resources", [])],
    }
    if pkg.get("license_url"):
        doc["license"] = pkg["license_url"]
    return doc
