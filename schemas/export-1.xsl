<?xml version="1.0" encoding="UTF-8"?>
<!-- export-1.xsl: a Cairn export (urn:cairn:export:1, EXPORT.md) as one
     self-contained HTML page: header, summary tables with bar charts,
     findings, context and entries. XSLT 1.0, for xsltproc:

	zstd -dc NAME.xml.zst | xsltproc export-1.xsl - > NAME.html

     The page is a reading of the export for people; the signed file and
     `cairn verify-export` are what count. No script, no external resource. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:c="urn:cairn:export:1"
    exclude-result-prefixes="c">

  <xsl:output method="html" encoding="UTF-8" indent="yes"
      doctype-system="about:legacy-compat"/>

  <!-- How many entries the entries table shows at most. -->
  <xsl:param name="max-rows" select="1000"/>

  <xsl:variable name="envelope"
      select="'|bytes|prev|stream-prev|account-prev|inclusion|'"/>

  <xsl:template match="/">
    <xsl:apply-templates select="c:export"/>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <html><body><p>Not a Cairn export (urn:cairn:export:1).</p></body></html>
  </xsl:template>

  <xsl:template match="c:export">
    <html lang="en">
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="generator" content="Cairn export-1.xsl"/>
        <title>
          <xsl:text>Cairn export: </xsl:text>
          <xsl:call-template name="subject"/>
          <xsl:text>, </xsl:text>
          <xsl:value-of select="substring(@from, 1, 10)"/>
          <xsl:text> to </xsl:text>
          <xsl:value-of select="substring(@to, 1, 10)"/>
        </title>
        <style><xsl:call-template name="css"/></style>
      </head>
      <body>
        <header>
          <h1>
            <xsl:text>Cairn export: </xsl:text>
            <xsl:call-template name="subject"/>
          </h1>
          <p class="period">
            <xsl:call-template name="time"><xsl:with-param name="t" select="@from"/></xsl:call-template>
            <xsl:text> to </xsl:text>
            <xsl:call-template name="time"><xsl:with-param name="t" select="@to"/></xsl:call-template>
            <xsl:text> (UTC, received time; the end is excluded)</xsl:text>
          </p>
          <div class="figures">
            <xsl:call-template name="figure">
              <xsl:with-param name="n" select="c:summary/@entries"/>
              <xsl:with-param name="label" select="'entries in the period'"/>
            </xsl:call-template>
            <xsl:call-template name="figure">
              <xsl:with-param name="n" select="c:summary/@margin"/>
              <xsl:with-param name="label" select="'margin entries'"/>
            </xsl:call-template>
            <xsl:call-template name="figure">
              <xsl:with-param name="n" select="c:context/@count"/>
              <xsl:with-param name="label" select="'context entries'"/>
            </xsl:call-template>
            <xsl:call-template name="figure">
              <xsl:with-param name="n" select="c:findings/@count"/>
              <xsl:with-param name="label" select="'findings'"/>
              <xsl:with-param name="class"
                  select="substring('figure bad', 1, 6 + 4 * (c:findings/@count &gt; 0))"/>
            </xsl:call-template>
          </div>
          <table class="facts">
            <tr><th>kind</th><td><xsl:value-of select="@kind"/></td></tr>
            <xsl:if test="@stream">
              <tr><th>stream</th><td><xsl:value-of select="@stream"/></td></tr>
            </xsl:if>
            <xsl:if test="@account">
              <tr><th>account</th><td><xsl:value-of select="@account"/></td></tr>
            </xsl:if>
            <tr><th>origin</th><td><code><xsl:value-of select="@origin"/></code></td></tr>
            <tr><th>generated</th><td><xsl:call-template name="time"><xsl:with-param name="t" select="@generated"/></xsl:call-template></td></tr>
            <tr><th>late after</th><td><xsl:value-of select="format-number(@late-after, '#,##0')"/> s</td></tr>
            <tr><th>signing key</th><td><code><xsl:value-of select="c:public-key/@id"/></code></td></tr>
          </table>
          <table class="grid checkpoints">
            <thead>
              <tr><th>checkpoint</th><th class="n">tree size</th><th>made</th><th>root</th></tr>
            </thead>
            <tbody>
              <xsl:apply-templates select="c:start-checkpoint"/>
              <xsl:apply-templates select="c:handover"/>
              <xsl:apply-templates select="c:end-checkpoint"/>
            </tbody>
          </table>
          <p class="note">
            <xsl:text>Consistency proof from tree size </xsl:text>
            <xsl:value-of select="format-number(c:consistency/@old, '#,##0')"/>
            <xsl:text> to </xsl:text>
            <xsl:value-of select="format-number(c:consistency/@new, '#,##0')"/>
            <xsl:text>: </xsl:text>
            <xsl:value-of select="count(c:consistency/c:hash)"/>
            <xsl:text> hashes. </xsl:text>
            <xsl:if test="c:handover-consistency">
              <xsl:text>From the handover checkpoint (the previous period's end) to the end: </xsl:text>
              <xsl:value-of select="count(c:handover-consistency/c:hash)"/>
              <xsl:text> hashes. </xsl:text>
            </xsl:if>
            <xsl:if test="c:last-inclusion">
              <xsl:text>Inclusion proof of the last entry (seq </xsl:text>
              <xsl:value-of select="c:last-inclusion/@seq"/>
              <xsl:text>): </xsl:text>
              <xsl:value-of select="count(c:last-inclusion/c:hash)"/>
              <xsl:text> hashes. </xsl:text>
            </xsl:if>
            <xsl:text>This page is a reading of the export: the signed file and </xsl:text>
            <code>cairn verify-export</code>
            <xsl:text> are what count.</xsl:text>
          </p>
        </header>

        <section>
          <h2>Summary</h2>
          <p class="note">Entries received in the period only; margin entries are not counted.</p>
          <div class="groups">
            <xsl:apply-templates select="c:summary/c:by"/>
          </div>
        </section>

        <section>
          <h2>Findings <span class="count">(<xsl:value-of select="c:findings/@count"/>)</span></h2>
          <xsl:choose>
            <xsl:when test="c:findings/c:finding">
              <table class="grid findings">
                <thead>
                  <tr>
                    <th>rule</th><th>clause</th><th class="n">seq</th>
                    <th>account</th><th>what is wrong</th><th>rests on</th>
                  </tr>
                </thead>
                <tbody>
                  <xsl:apply-templates select="c:findings/c:finding"/>
                </tbody>
              </table>
            </xsl:when>
            <xsl:otherwise><p class="none">No findings.</p></xsl:otherwise>
          </xsl:choose>
        </section>

        <xsl:if test="c:context/c:entry">
          <section>
            <h2>Context <span class="count">(<xsl:value-of select="c:context/@count"/>)</span></h2>
            <p class="note">Entries from outside the exported range that a finding rule needed, each with an inclusion proof.</p>
            <table class="grid entries">
              <thead>
                <tr>
                  <th class="n">seq</th><th>received</th><th>type</th>
                  <th>account</th><th>stream</th><th>needed by</th>
                </tr>
              </thead>
              <tbody>
                <xsl:apply-templates select="c:context/c:entry" mode="row"/>
              </tbody>
            </table>
          </section>
        </xsl:if>

        <section>
          <xsl:variable name="n" select="count(c:entries/c:entry)"/>
          <h2>Entries <span class="count">(<xsl:value-of select="format-number($n, '#,##0')"/>)</span></h2>
          <xsl:choose>
            <xsl:when test="$n = 0"><p class="none">No entries.</p></xsl:when>
            <xsl:otherwise>
              <xsl:if test="$n &gt; $max-rows">
                <p class="cap">
                  <xsl:text>The first </xsl:text>
                  <xsl:value-of select="format-number($max-rows, '#,##0')"/>
                  <xsl:text> of </xsl:text>
                  <xsl:value-of select="format-number($n, '#,##0')"/>
                  <xsl:text> entries are listed; the export holds them all.</xsl:text>
                </p>
              </xsl:if>
              <table class="grid entries">
                <thead>
                  <tr>
                    <th class="n">seq</th><th>received</th><th>type</th>
                    <th>account</th><th>margin</th>
                  </tr>
                </thead>
                <tbody>
                  <xsl:apply-templates select="c:entries/c:entry[position() &lt;= $max-rows]" mode="row"/>
                </tbody>
              </table>
            </xsl:otherwise>
          </xsl:choose>
        </section>
        <footer>
          <xsl:text>Cairn export format </xsl:text>
          <xsl:value-of select="@format"/>
          <xsl:text> (urn:cairn:export:1), generated </xsl:text>
          <xsl:value-of select="@generated"/>
          <xsl:text>.</xsl:text>
        </footer>
      </body>
    </html>
  </xsl:template>

  <!-- The stream, or the account of an account history. -->
  <xsl:template name="subject">
    <xsl:choose>
      <xsl:when test="@kind = 'account-history'">
        <xsl:text>history of account </xsl:text>
        <xsl:value-of select="@account"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="@kind"/>
        <xsl:if test="@stream and @stream != @kind">
          <xsl:text> (stream </xsl:text>
          <xsl:value-of select="@stream"/>
          <xsl:text>)</xsl:text>
        </xsl:if>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="figure">
    <xsl:param name="n"/>
    <xsl:param name="label"/>
    <xsl:param name="class" select="'figure'"/>
    <div class="{$class}">
      <span class="big"><xsl:value-of select="format-number($n, '#,##0')"/></span>
      <span class="label"><xsl:value-of select="$label"/></span>
    </div>
  </xsl:template>

  <!-- 2026-03-02T08:00:03.114000Z as 2026-03-02 08:00:03, full value on hover. -->
  <xsl:template name="time">
    <xsl:param name="t"/>
    <time datetime="{$t}" title="{$t}">
      <xsl:value-of select="concat(substring($t, 1, 10), ' ', substring($t, 12, 8))"/>
    </time>
  </xsl:template>

  <xsl:template match="c:start-checkpoint | c:handover | c:end-checkpoint">
    <tr>
      <th>
        <xsl:choose>
          <xsl:when test="self::c:handover">handover</xsl:when>
          <xsl:otherwise><xsl:value-of select="substring-before(local-name(), '-')"/></xsl:otherwise>
        </xsl:choose>
      </th>
      <td class="n"><xsl:value-of select="format-number(@size, '#,##0')"/></td>
      <td><xsl:call-template name="time"><xsl:with-param name="t" select="@time"/></xsl:call-template></td>
      <td><code class="hash"><xsl:value-of select="@root"/></code></td>
    </tr>
  </xsl:template>

  <!-- A summary group: its table and its bar chart. -->
  <xsl:template match="c:by">
    <xsl:variable name="max">
      <xsl:for-each select="c:count">
        <xsl:sort select="." data-type="number" order="descending"/>
        <xsl:if test="position() = 1"><xsl:value-of select="."/></xsl:if>
      </xsl:for-each>
    </xsl:variable>
    <xsl:variable name="total" select="sum(c:count)"/>
    <div class="group">
      <h3>By <xsl:value-of select="@name"/></h3>
      <xsl:choose>
        <xsl:when test="not(c:count)">
          <p class="none">No entry in the period has this field.</p>
        </xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="chart">
            <xsl:with-param name="max" select="$max"/>
          </xsl:call-template>
          <table class="grid counts">
            <thead>
              <tr><th><xsl:value-of select="@name"/></th><th class="n">entries</th><th class="n">share</th></tr>
            </thead>
            <tbody>
              <xsl:for-each select="c:count">
                <tr>
                  <td><xsl:value-of select="@key"/></td>
                  <td class="n"><xsl:value-of select="format-number(., '#,##0')"/></td>
                  <td class="n"><xsl:value-of select="format-number(. div $total, '0.0%')"/></td>
                </tr>
              </xsl:for-each>
            </tbody>
            <tfoot>
              <tr><th>total</th><td class="n"><xsl:value-of select="format-number($total, '#,##0')"/></td><td/></tr>
            </tfoot>
          </table>
        </xsl:otherwise>
      </xsl:choose>
    </div>
  </xsl:template>

  <!-- A horizontal bar chart of the counts of a summary group, in SVG. -->
  <xsl:template name="chart">
    <xsl:param name="max"/>
    <xsl:variable name="row" select="20"/>
    <xsl:variable name="label" select="190"/>
    <xsl:variable name="bars" select="250"/>
    <xsl:variable name="height" select="count(c:count) * $row + 4"/>
    <svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"
        width="{$label + $bars + 70}" height="{$height}"
        viewBox="0 0 {$label + $bars + 70} {$height}">
      <title>
        <xsl:text>Entries by </xsl:text>
        <xsl:value-of select="@name"/>
      </title>
      <xsl:for-each select="c:count">
        <xsl:variable name="y" select="(position() - 1) * $row + 2"/>
        <xsl:variable name="w" select="round(. * $bars div $max)"/>
        <text x="{$label - 6}" y="{$y + 14}" text-anchor="end" class="key">
          <xsl:choose>
            <xsl:when test="string-length(@key) &gt; 30">
              <xsl:value-of select="concat(substring(@key, 1, 29), '&#8230;')"/>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="@key"/></xsl:otherwise>
          </xsl:choose>
        </text>
        <rect x="{$label}" y="{$y + 3}" height="{$row - 6}" class="bar">
          <xsl:attribute name="width">
            <xsl:choose>
              <xsl:when test="$w &lt; 1 and . &gt; 0">1</xsl:when>
              <xsl:otherwise><xsl:value-of select="$w"/></xsl:otherwise>
            </xsl:choose>
          </xsl:attribute>
        </rect>
        <text x="{$label + $w + 5}" y="{$y + 14}" class="value">
          <xsl:value-of select="format-number(., '#,##0')"/>
        </text>
      </xsl:for-each>
    </svg>
  </xsl:template>

  <xsl:template match="c:finding">
    <tr>
      <td><code><xsl:value-of select="@rule"/></code></td>
      <td><xsl:value-of select="@clause"/></td>
      <td class="n"><a href="#e{@seq}"><xsl:value-of select="@seq"/></a></td>
      <td><xsl:value-of select="@account"/></td>
      <td><xsl:apply-templates select="c:text" mode="text"/></td>
      <td>
        <xsl:for-each select="c:ref">
          <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
          <a href="#e{@seq}"><xsl:value-of select="@seq"/></a>
        </xsl:for-each>
      </td>
    </tr>
  </xsl:template>

  <!-- A string of the export: base64 ones are marked, not decoded. -->
  <xsl:template match="*" mode="text">
    <xsl:choose>
      <xsl:when test="@encoding = 'base64'">
        <span class="b64" title="base64 of a string XML cannot carry">
          <xsl:value-of select="."/>
        </span>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- An entry or context entry as a table row. -->
  <xsl:template match="c:entry" mode="row">
    <xsl:variable name="event"
        select="*[not(contains($envelope, concat('|', local-name(), '|')))]"/>
    <tr id="e{@seq}">
      <xsl:if test="@margin"><xsl:attribute name="class">margin</xsl:attribute></xsl:if>
      <td class="n"><xsl:value-of select="@seq"/></td>
      <td><xsl:call-template name="time"><xsl:with-param name="t" select="@received"/></xsl:call-template></td>
      <td><xsl:value-of select="local-name($event)"/></td>
      <td><xsl:apply-templates select="$event/c:account" mode="text"/></td>
      <xsl:choose>
        <xsl:when test="parent::c:context">
          <td><xsl:value-of select="@stream"/></td>
          <td><code><xsl:value-of select="@why"/></code></td>
        </xsl:when>
        <xsl:otherwise>
          <td>
            <xsl:if test="@margin">
              <span class="mark" title="received outside the period: not counted">
                <xsl:value-of select="@margin"/>
              </span>
            </xsl:if>
          </td>
        </xsl:otherwise>
      </xsl:choose>
    </tr>
  </xsl:template>

  <xsl:template name="css">
:root { --ink: #1b1f24; --muted: #5b6470; --line: #d5dae0; --bar: #3b6ea8; --bad: #a4262c; --soft: #f3f5f7; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--ink); margin: 0 auto; max-width: 1120px; padding: 24px 28px 40px; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 14px; margin: 0 0 8px; text-transform: capitalize; }
.count { color: var(--muted); font-weight: normal; }
.period { margin: 0 0 14px; color: var(--muted); }
code, .hash, .b64 { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.hash { word-break: break-all; }
.b64 { color: var(--muted); font-style: italic; word-break: break-all; }
.figures { display: flex; gap: 12px; margin: 0 0 14px; flex-wrap: wrap; }
.figure { border: 1px solid var(--line); border-radius: 4px; padding: 8px 14px; min-width: 150px; background: var(--soft); }
.figure .big { display: block; font-size: 22px; font-weight: 600; }
.figure .label { color: var(--muted); font-size: 12px; }
.figure.bad { border-color: var(--bad); }
.figure.bad .big { color: var(--bad); }
table { border-collapse: collapse; }
.facts { margin: 0 0 12px; }
.facts th { text-align: left; font-weight: 600; padding: 1px 16px 1px 0; color: var(--muted); }
.facts td { padding: 1px 0; }
.grid { width: 100%; margin: 4px 0 8px; }
.grid th, .grid td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
.grid thead th { background: var(--soft); border-bottom: 1px solid #b9c0c8; font-weight: 600; white-space: nowrap; }
.grid tfoot th, .grid tfoot td { border-bottom: 0; font-weight: 600; }
.grid .n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.checkpoints td:nth-child(4) { width: 60%; }
.note { color: var(--muted); font-size: 12px; margin: 4px 0 8px; }
.none { color: var(--muted); font-style: italic; }
.groups { display: grid; grid-template-columns: repeat(auto-fill, minmax(510px, 1fr)); gap: 18px 28px; }
.group { break-inside: avoid; page-break-inside: avoid; }
.counts { width: 100%; }
.chart { display: block; margin: 0 0 6px; max-width: 100%; height: auto; }
.chart .key { font-size: 12px; fill: var(--ink); }
.chart .value { font-size: 12px; fill: var(--muted); }
.chart .bar { fill: var(--bar); }
.findings td:first-child code { color: var(--bad); font-weight: 600; white-space: nowrap; }
.entries tr.margin td { color: var(--muted); background: #fafafa; }
.mark { display: inline-block; font-size: 11px; padding: 0 6px; border: 1px solid var(--muted); border-radius: 8px; }
.cap { padding: 6px 10px; background: #fff6db; border: 1px solid #e5c65a; border-radius: 4px; }
a { color: var(--bar); text-decoration: none; }
tr:target td { background: #fff6db; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; }
  .figure { background: none; }
  .groups { grid-template-columns: 1fr 1fr; }
}
  </xsl:template>
</xsl:stylesheet>
