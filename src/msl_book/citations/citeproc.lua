-- msl-book's one pandoc run per build: read every bibliography file, then run citeproc on
-- each group of citations (a chapter, or the whole book) as a document of its own, so that
-- numbering restarts per chapter without one process per chapter.
--
-- In:  meta msl-files (paths), msl-csl (path); one Div per group, its attributes lang and
--      nocite (keys separated by spaces, or *), holding one Para per citation.
-- Out: a Div "msl-files" with a Div per file (attribute ids: the keys it defines, one per
--      line; or error: pandoc's message), then one Div per group: the Paras with their
--      citations rendered, and citeproc's refs Div.

local function keys_of(refs)
  local ids = {}
  for _, ref in ipairs(refs) do
    ids[#ids + 1] = ref.id
  end
  return table.concat(ids, "\n")
end

local function everything()
  return pandoc.Inlines { pandoc.Cite({ pandoc.Str "@*" }, { pandoc.Citation("*", "NormalCitation") }) }
end

local function read_file(path)
  local doc = pandoc.Pandoc({}, { bibliography = { path }, nocite = everything() })
  return pandoc.utils.references(doc)
end

function Pandoc(doc)
  local out, files = {}, {}
  local by_id, all = {}, {}
  for _, item in ipairs(doc.meta["msl-files"] or {}) do
    local path = pandoc.utils.stringify(item)
    local ok, refs = pcall(read_file, path)
    if ok then
      for _, ref in ipairs(refs) do
        if by_id[ref.id] == nil then
          by_id[ref.id] = ref
          all[#all + 1] = ref
        end
      end
      files[#files + 1] = pandoc.Div({}, { "", {}, { path = path, ids = keys_of(refs) } })
    else
      files[#files + 1] = pandoc.Div({}, { "", {}, { path = path, error = tostring(refs) } })
    end
  end
  out[1] = pandoc.Div(files, { "msl-files", {}, {} })
  local csl = pandoc.utils.stringify(doc.meta["msl-csl"] or "")
  for _, group in ipairs(doc.blocks) do
    local used, refs = {}, {}
    local function use(id)
      if not used[id] and by_id[id] ~= nil then
        used[id] = true
        refs[#refs + 1] = by_id[id]
      end
    end
    group:walk {
      Cite = function(cite)
        for _, citation in ipairs(cite.citations) do
          use(citation.id)
        end
      end,
    }
    local nocite = group.attributes.nocite or ""
    local meta = { csl = csl, ["link-citations"] = true, lang = group.attributes.lang }
    if nocite == "*" then
      refs = all
      meta.nocite = everything()
    elseif nocite ~= "" then
      local cites = {}
      for id in nocite:gmatch "%S+" do
        use(id)
        cites[#cites + 1] = pandoc.Citation(id, "NormalCitation")
      end
      meta.nocite = pandoc.Inlines { pandoc.Cite({ pandoc.Str "nocite" }, cites) }
    end
    meta.references = refs
    local ok, result = pcall(pandoc.utils.citeproc, pandoc.Pandoc(group.content, meta))
    if ok then
      out[#out + 1] = pandoc.Div(result.blocks, { group.identifier, {}, {} })
    else
      out[#out + 1] = pandoc.Div({}, { group.identifier, {}, { error = tostring(result) } })
    end
  end
  return pandoc.Pandoc(out, {})
end
