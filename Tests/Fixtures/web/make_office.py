"""Writes a small DOCX and XLSX with Python's own zipfile, as Word and Excel lay them out: make_office.py DIR."""
import os
import sys
import zipfile

directory = sys.argv[1]
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
document = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {W}><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Release plan</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Ship on </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>Friday</w:t></w:r><w:r><w:t xml:space="preserve"> &amp; tell QA.</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Freeze the branch</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Owner</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Task</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Ada</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Notes</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"""
with zipfile.ZipFile(os.path.join(directory, "plan.docx"), "w", zipfile.ZIP_DEFLATED) as docx:
    docx.writestr("[Content_Types].xml", "<Types/>")
    docx.writestr("word/document.xml", document)

S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
with zipfile.ZipFile(os.path.join(directory, "sales.xlsx"), "w", zipfile.ZIP_DEFLATED) as xlsx:
    xlsx.writestr("[Content_Types].xml", "<Types/>")
    xlsx.writestr("xl/workbook.xml", f'<workbook {S} {R}><sheets><sheet name="Q1" sheetId="1" r:id="rId1"/>'
                                     f'<sheet name="Notes" sheetId="2" r:id="rId2"/></sheets></workbook>')
    xlsx.writestr("xl/_rels/workbook.xml.rels",
                  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
                  '<Relationship Id="rId2" Type="worksheet" Target="worksheets/sheet2.xml"/></Relationships>')
    xlsx.writestr("xl/sharedStrings.xml", f'<sst {S}><si><t>Region</t></si><si><t>Revenue</t></si><si><t>North</t></si>'
                                          f'<si><r><t>So</t></r><r><t>uth</t></r></si></sst>')
    xlsx.writestr("xl/worksheets/sheet1.xml", f'<worksheet {S}><sheetData>'
                  '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
                  '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1250.5</v></c></row>'
                  '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="C3" t="b"><v>1</v></c></row>'
                  '</sheetData></worksheet>')
    xlsx.writestr("xl/worksheets/sheet2.xml", f'<worksheet {S}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Draft</t></is></c></row>'
                  '</sheetData></worksheet>')
