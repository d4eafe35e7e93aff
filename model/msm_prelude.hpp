// Included first by every translation unit that sees Boost.MSM. The MPL limits must be identical
// in every TU (ODR): they are PUBLIC compile definitions of the ikemodel target (CMakeLists.txt),
// and this header refuses to build without them (ARCHITECTURE.md, "Boost.MSM on this toolchain").
#pragma once

#ifndef BOOST_MPL_CFG_NO_PREPROCESSED_HEADERS
#error "BOOST_MPL_CFG_NO_PREPROCESSED_HEADERS must be defined by the ikemodel target"
#endif
#if !defined(BOOST_MPL_LIMIT_VECTOR_SIZE) || BOOST_MPL_LIMIT_VECTOR_SIZE != 50
#error "BOOST_MPL_LIMIT_VECTOR_SIZE must be 50 (defined by the ikemodel target)"
#endif
#if !defined(BOOST_MPL_LIMIT_MAP_SIZE) || BOOST_MPL_LIMIT_MAP_SIZE != 50
#error "BOOST_MPL_LIMIT_MAP_SIZE must be 50 (defined by the ikemodel target)"
#endif
#ifndef BOOST_BIND_GLOBAL_PLACEHOLDERS
#error "BOOST_BIND_GLOBAL_PLACEHOLDERS must be defined by the ikemodel target"
#endif
#ifndef BOOST_ALLOW_DEPRECATED_HEADERS
#error "BOOST_ALLOW_DEPRECATED_HEADERS must be defined by the ikemodel target"
#endif

#include <boost/mpl/for_each.hpp>
#include <boost/mpl/vector.hpp>
#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>

namespace ike::model {
namespace msmf = boost::msm::front;
/// The back end every machine uses.
template <class Def>
using Machine = boost::msm::back::state_machine<Def>;
/// A transition table row: Source + Event [Guard] / Action -> Target.
template <class Source, class Event, class Target, class Action, class Guard>
using Row = msmf::Row<Source, Event, Target, Action, Guard>;
using none = msmf::none;
}  // namespace ike::model
