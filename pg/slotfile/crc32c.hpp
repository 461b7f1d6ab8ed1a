#pragma once
// CRC-32C (Castagnoli), as PostgreSQL's INIT/COMP/FIN_CRC32C compute it.
#include <cstdint>
#include <string_view>

namespace slotd::pg::slotfile {

std::uint32_t crc32c(std::string_view bytes);

} // namespace slotd::pg::slotfile
