/** YAML with comments on chosen keys, so rendered values read well in Git. */
import { Document, isMap, isPair, isScalar, type Pair } from 'yaml';

export function toCommentedYaml(data: unknown, comments: Record<string, string>, header?: string): string {
  const doc = new Document(data);
  const visit = (node: unknown, path: string[]) => {
    if (!isMap(node)) return;
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const pair = item as Pair;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const p = [...path, key];
      const comment = comments[p.join('.')];
      if (comment && isScalar(pair.key)) pair.key.commentBefore = ` ${comment.split('\n').join('\n ')}`;
      visit(pair.value, p);
    }
  };
  visit(doc.contents, []);
  if (header) doc.commentBefore = ` ${header.split('\n').join('\n ')}`;
  return doc.toString({ lineWidth: 0 });
}
