// A strict-enough well-formedness check for the SVG the harness writes (no XML library in the
// project): one root element, every tag closed in order, attributes quoted with no raw '<',
// text with no raw '<' and only the five predefined or numeric entities. Returns the problems
// found (empty when well formed) and the element names in document order.

export interface XmlCheck {
  errors: string[];
  elements: string[];
}

const NAME = /^[A-Za-z_][\w.:-]*$/;
const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;

export function checkXml(text: string): XmlCheck {
  const errors: string[] = [];
  const elements: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const body = text.replace(/^\uFEFF?\s*<\?xml[^?]*\?>/, '');
  const re = /<!--[\s\S]*?-->|<[^>]*>|[^<]+/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body))) {
    consumed += m[0].length;
    const tok = m[0];
    if (tok.startsWith('<!--')) continue;
    if (!tok.startsWith('<')) {
      if (ENTITY.test(tok)) errors.push(`bad '&' in text '${tok.slice(0, 40)}'`);
      if (!stack.length && tok.trim()) errors.push(`text outside the root element: '${tok.trim().slice(0, 40)}'`);
      continue;
    }
    if (tok.startsWith('</')) {
      const name = tok.slice(2, -1).trim();
      const open = stack.pop();
      if (open !== name) errors.push(`</${name}> closes <${open ?? 'nothing'}>`);
      continue;
    }
    const selfClosing = tok.endsWith('/>');
    const inner = tok.slice(1, selfClosing ? -2 : -1);
    const nm = /^[^\s/>]+/.exec(inner)?.[0] ?? '';
    if (!NAME.test(nm)) {
      errors.push(`bad element name in '${tok.slice(0, 40)}'`);
      continue;
    }
    const attrs = inner.slice(nm.length);
    const rest = attrs.replace(/\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<]*"/g, '').replace(/\s+[A-Za-z_][\w.:-]*\s*=\s*'[^'<]*'/g, '');
    if (rest.trim()) errors.push(`bad attributes in <${nm}>: '${rest.trim().slice(0, 40)}'`);
    for (const v of attrs.match(/"[^"]*"|'[^']*'/g) ?? []) if (ENTITY.test(v)) errors.push(`bad '&' in an attribute of <${nm}>`);
    if (!stack.length) roots++;
    elements.push(nm);
    if (!selfClosing) stack.push(nm);
  }
  if (consumed !== body.length) errors.push('unparsed input');
  if (stack.length) errors.push(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) errors.push(`${roots} root elements`);
  return { errors, elements };
}
